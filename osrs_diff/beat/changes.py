"""Picking up changes: poll `PeriodicTasks.last_update`, apply rows changed since the last scan,
drop rows deleted since then (tombstones a database trigger writes), check the id aggregates once
a minute as a safety net, and run the full resync in chunks spread over ticks."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import close_old_connections, connection
from django.db.models import Count, F, Max, Q, Sum
from django.db.utils import DatabaseError, InterfaceError
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
    SolarSchedule,
)

from osrs_diff.beat.entries import Interval, IntervalEntry, StockEntry
from osrs_diff.beat.known_ids import BUCKET_SHIFT
from osrs_diff.beat.rows import Row, as_datetime, changed_since, select_rows
from osrs_diff.models import PeriodicTaskDeletion

logger = logging.getLogger("osrs_diff.beat")


class ChangesMixin:
    """The scheduler's refresh side (state lives on the scheduler)."""

    def _read_last_change(self) -> dt.datetime | None:
        return PeriodicTasks.objects.filter(ident=1).values_list("last_update", flat=True).first()

    def _read_tombstone_cursor(self) -> int:
        return PeriodicTaskDeletion.objects.aggregate(last=Max("id"))["last"] or 0

    @staticmethod
    def _release_stale_connection() -> None:
        # Like the stock scheduler, drop a broken or expired connection before using it; but
        # never inside an atomic block (tests, or a caller's transaction), where closing would
        # break the transaction.
        if not connection.in_atomic_block:
            close_old_connections()

    def _maybe_refresh(self, now: float) -> None:
        if now < self._next_poll:
            return
        self._next_poll = now + self.changes_poll_seconds
        try:
            self._release_stale_connection()
            last_change = self._read_last_change()
            if last_change != self._last_change:
                self._last_change = last_change
                self._settle_until = now + self.settle_seconds
            scan = now < self._settle_until
            resync = self._resync_cursor is not None or now >= self._next_full_sync
            if scan or resync:
                # Our own last runs go to the database first, so rows read back carry them and
                # a deliberate edit of last_run_at is honoured, as the stock scheduler does.
                self.sync()
            if scan:
                self._incremental(now)
            if resync:
                self._resync_step(now)
        except (DatabaseError, InterfaceError) as exc:
            logger.warning("IncrementalDatabaseScheduler: refresh failed, retrying: %r", exc)
        self._compact_heap()

    def _incremental(self, now: float) -> None:
        """Apply new tombstones and changed rows; check the id aggregates once a minute."""
        self.stats["incremental_scans"] += 1
        self._refresh_schedule_tables(now)
        since = None
        if self._watermark is not None:
            since = as_datetime(self._watermark - self.change_lookback_seconds)
            self._apply_tombstones(now)
        stale: list[int] = []
        for pk, changed_ts, enabled in changed_since(since, chunk_size=self.resync_chunk_size):
            self._advance_watermark(changed_ts)
            entry = self._entries.get(pk)
            if not enabled:
                if entry is not None or pk in self._broken:
                    self._remove(pk)
                continue
            if entry is not None and entry.changed_ts == changed_ts:
                continue
            if entry is None and self._broken.get(pk) == changed_ts:
                continue
            stale.append(pk)
        if stale:
            self._apply_rows(self._fetch_rows(stale), now)
        if now >= self._next_reconcile:
            self._reconcile_deletes(now)

    def _apply_tombstones(self, now: float) -> None:
        """Drop the rows deleted since the last scan, read by tombstone id through the primary key.

        Ids come from one sequence, so a tombstone below the cursor that was not seen yet belongs
        to a transaction still open at the last scan (or one rolled back): those ids are asked
        for again for `change_lookback_seconds`, like late-committed changed rows. A tick after a
        change reads only the new tombstones, never the whole window (a bulk delete of 100,000
        rows is read once).
        """
        gaps = self._tombstone_gaps
        for gap in [gap for gap, seen in gaps.items() if seen < now - self.change_lookback_seconds]:
            del gaps[gap]
        wanted = Q(id__gt=self._tombstone_cursor)
        if gaps:
            wanted |= Q(id__in=list(gaps))
        tombstones = PeriodicTaskDeletion.objects.filter(wanted).order_by("id")
        for tombstone_id, task_id in tombstones.values_list("id", "task_id"):
            self.stats["tombstones_read"] += 1
            self._remove(task_id)
            if gaps.pop(tombstone_id, None) is not None:
                continue
            skipped = tombstone_id - self._tombstone_cursor - 1
            if 0 < skipped <= self.max_tombstone_gaps - len(gaps):
                # Beyond the cap (a huge rollback) the minutely id check is the safety net.
                gaps.update(dict.fromkeys(range(self._tombstone_cursor + 1, tombstone_id), now))
            self._tombstone_cursor = max(self._tombstone_cursor, tombstone_id)

    def _reconcile_deletes(self, now: float) -> None:
        """The safety net for deletes no tombstone told of (rows removed before the trigger
        existed): compare id aggregates, then per bucket. O(tasks), so once a minute at most."""
        self._next_reconcile = now + self.reconcile_seconds
        PeriodicTaskDeletion.objects.filter(
            deleted_at__lt=as_datetime(now - self.tombstone_keep_seconds)
        ).delete()
        self._reconcile_by_aggregates(now)

    def _reconcile_by_aggregates(self, now: float) -> None:
        totals = PeriodicTask.objects.filter(enabled=True).aggregate(n=Count("id"), s=Sum("id"))
        if totals["n"] == self._known_count and (totals["s"] or 0) == self._known_sum:
            return
        self.stats["id_reconciles"] += 1
        bucket_rows = (
            PeriodicTask.objects.filter(enabled=True)
            .annotate(bucket=F("id").bitrightshift(BUCKET_SHIFT))
            .values("bucket")
            .annotate(n=Count("id"), s=Sum("id"))
            .values_list("bucket", "n", "s")
        )
        db_buckets = {bucket: [n, s] for bucket, n, s in bucket_rows}
        differing = [
            b
            for b in set(db_buckets) | set(self._buckets)
            if db_buckets.get(b) != self._buckets.get(b)
        ]
        missing: list[int] = []
        for bucket in differing:
            low, high = bucket << BUCKET_SHIFT, (bucket + 1) << BUCKET_SHIFT
            db_ids = set(
                PeriodicTask.objects.filter(enabled=True, id__gte=low, id__lt=high).values_list(
                    "id", flat=True
                )
            )
            known = {pk for pk in range(low, high) if pk in self._entries or pk in self._broken}
            for pk in known - db_ids:
                self._remove(pk)
            missing.extend(db_ids - known)
        if missing:
            self._apply_rows(self._fetch_rows(missing), now)

    def _resync_step(self, now: float) -> None:
        """One chunk of the full resync; the last chunk drops entries no longer enabled."""
        if self._resync_cursor is None:
            self._round += 1
            self._resync_cursor = 0
            self._refresh_schedule_tables(now)
        rows = self._chunk_after(self._resync_cursor)
        self._apply_rows(rows, now)
        if len(rows) == self.resync_chunk_size:
            self._resync_cursor = rows[-1].id
            return
        for pk in [pk for pk, e in self._entries.items() if e.seen != self._round]:
            self._remove(pk)
        self._resync_cursor = None
        self._next_full_sync = now + self.full_sync_seconds
        self.stats["resync_rounds"] += 1

    def _advance_watermark(self, changed_ts: float | None) -> None:
        if changed_ts is None:
            return
        # A writer whose clock runs ahead must not move the scan window past changes still to
        # come from everyone else: never beyond beat's own clock.
        changed_ts = min(changed_ts, time.time())
        if self._watermark is None or changed_ts > self._watermark:
            self._watermark = changed_ts

    def _chunk_after(self, cursor: int) -> list[Row]:
        """The next chunk of enabled rows in id order (keyset pagination: memory stays flat)."""
        queryset = PeriodicTask.objects.filter(enabled=True, id__gt=cursor).order_by("id")
        return select_rows(queryset[: self.resync_chunk_size])

    def _fetch_rows(self, ids: list[int]) -> list[Row]:
        rows: list[Row] = []
        for start in range(0, len(ids), self.resync_chunk_size):
            chunk = ids[start : start + self.resync_chunk_size]
            rows.extend(select_rows(PeriodicTask.objects.filter(id__in=chunk)))
        found = {row.id for row in rows}
        for pk in ids:
            if pk not in found:
                self._remove(pk)  # deleted between the scan and the fetch
        return rows

    def _refresh_schedule_tables(self, now: float, initial: bool = False) -> None:
        """Reload the (small) schedule tables; re-plan entries whose schedule changed."""
        changed_intervals = []
        for interval in IntervalSchedule.objects.all():
            seconds = interval.schedule.run_every.total_seconds()
            shared = self._intervals.get(interval.pk)
            if shared is None:
                self._intervals[interval.pk] = Interval(interval.pk, seconds)
            elif shared.seconds != seconds:
                shared.seconds = seconds
                changed_intervals.append(shared)
        tables = (
            tuple(CrontabSchedule.objects.order_by("pk").values_list()),
            tuple(SolarSchedule.objects.order_by("pk").values_list()),
            tuple(ClockedSchedule.objects.order_by("pk").values_list()),
        )
        stock_changed = tables != self._stock_tables
        self._stock_tables = tables
        if initial:
            return
        if changed_intervals:
            changed = set(changed_intervals)
            for entry in list(self._entries.values()):
                if isinstance(entry, IntervalEntry) and entry.interval in changed:
                    self._push(entry, self._plan(entry, None, now))
        if stock_changed:
            stock_ids = [pk for pk, e in self._entries.items() if isinstance(e, StockEntry)]
            for wrapper in (self._entries[pk] for pk in stock_ids):
                wrapper.key = None  # force a rebuild from the row
            self._apply_rows(self._fetch_rows(stock_ids), now)
