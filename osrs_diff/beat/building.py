"""Building entries from rows: interval rows become compact `IntervalEntry`s, the rest stock
entries; overdue work is spread over a catch-up window."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.db.utils import DatabaseError, InterfaceError
from django_celery_beat.models import PeriodicTask

from osrs_diff.beat import api
from osrs_diff.beat.entries import IntervalEntry, StockEntry, definition_key, spread_fraction
from osrs_diff.beat.rows import Row, as_datetime

logger = logging.getLogger("osrs_diff.beat")


class BuildingMixin:
    """The scheduler's row -> entry side (state lives on the scheduler)."""

    def _apply_rows(self, rows: Iterable[Row], now: float) -> None:
        stock_rows: list[Row] = []
        for row in rows:
            self.stats["rows_applied"] += 1
            changed_ts = row.date_changed
            self._advance_watermark(changed_ts)
            if not row.enabled:
                self._remove(row.id)
                continue
            old = self._entries.get(row.id)
            if old is not None:
                old.seen = self._round
            if self._is_interval_row(row):
                self._apply_interval_row(row, old, changed_ts, now)
            elif not (isinstance(old, StockEntry) and old.key == definition_key(row)):
                stock_rows.append(row)
        if stock_rows:
            self._apply_stock_rows(stock_rows, now)

    @staticmethod
    def _is_interval_row(row: Row) -> bool:
        return (
            row.interval_id is not None
            and row.crontab_id is None
            and row.solar_id is None
            and row.clocked_id is None
            and row.expires is None
            and not row.one_off
            and not row.name.startswith(api.SYSTEM_TASK_PREFIX)
        )

    def _apply_interval_row(
        self, row: Row, old: IntervalEntry | StockEntry | None, changed_ts: float, now: float
    ) -> None:
        interval = self._intervals.get(row.interval_id)
        if interval is None:
            self._refresh_schedule_tables(now)
            interval = self._intervals.get(row.interval_id)
            if interval is None:
                self._set_broken(row.id, changed_ts)
                return
        old_interval = old if isinstance(old, IntervalEntry) else None
        start_ts = row.start_time
        if row.last_run_at is None:
            last_run_ts = api.never_run_base(changed_ts, start_ts, now)
        else:
            last_run_ts = row.last_run_at
        total_run_count = row.total_run_count
        if old_interval is not None and row.id in self._dirty:
            # Our write of this run has not landed (the flush before each scan failed): never
            # move a run backwards, or the same due time would be sent twice.
            last_run_ts = max(last_run_ts, old_interval.last_run_ts)
            total_run_count = max(total_run_count, old_interval.total_run_count)
        opts_key = (
            row.queue,
            row.exchange,
            row.routing_key,
            row.priority,
            row.expire_seconds,
            row.headers,
        )
        opts = self._opts_cache.setdefault(opts_key, opts_key)
        entry = IntervalEntry(
            row=row,
            interval=interval,
            opts=opts,
            start_ts=start_ts,
            last_run_ts=last_run_ts,
            total_run_count=total_run_count,
            changed_ts=changed_ts,
        )
        entry.seen = self._round
        if old_interval is not None and entry.same_definition(old_interval):
            return
        self._set_entry(entry)
        self._push(entry, self._plan(entry, old_interval, now))

    def _plan(self, entry: IntervalEntry, old: IntervalEntry | None, now: float) -> float:
        """Next due time; overdue work is spread instead of sent in one burst."""
        due = entry.next_due()
        if due >= now - self.catchup_grace_seconds:
            return due
        window = min(entry.interval.seconds, self.catchup_window_seconds)
        spread = now + spread_fraction(entry.id) * window
        if old is not None and old.due < spread:
            return old.due  # already planned sooner; never postpone it again
        return spread

    def _apply_stock_rows(self, rows: list[Row], now: float) -> None:
        keys = {row.id: definition_key(row) for row in rows}
        changed = {row.id: row.date_changed for row in rows}
        models = PeriodicTask.objects.select_related(
            "interval", "crontab", "solar", "clocked"
        ).filter(pk__in=list(keys), enabled=True)
        found = set()
        for model in models:
            found.add(model.pk)
            old = self._entries.get(model.pk)
            if isinstance(old, StockEntry) and model.pk in self._dirty:
                old_model = old.entry.model
                if old_model.last_run_at and (
                    model.last_run_at is None or old_model.last_run_at > model.last_run_at
                ):
                    model.last_run_at = old_model.last_run_at
                model.total_run_count = max(model.total_run_count, old_model.total_run_count)
            changed_ts = changed[model.pk]
            try:
                entry = self.Entry(model, app=self.app)
            except Exception as exc:
                logger.error("Cannot schedule %s: %r", model.name, exc)
                self._set_broken(model.pk, changed_ts)
                continue
            if not model.enabled:  # ModelEntry disabled it (bad arguments)
                self._remove(model.pk)
                continue
            wrapper = StockEntry(key=keys[model.pk], entry=entry, changed_ts=changed_ts)
            wrapper.seen = self._round
            self._set_entry(wrapper)
            try:
                is_due, next_time = entry.is_due()
            except Exception:
                is_due, next_time = self._is_due_failed(entry)
            self._push(wrapper, now if is_due else now + max(float(next_time), 0.0))
        for pk in set(keys) - found:
            self._remove(pk)

    def _disable(self, pk: int, name: str, exc: Exception) -> None:
        # The stock ModelEntry disables a task whose arguments are not JSON; so do we.
        logger.error("Disabling schedule %s: arguments are not valid JSON: %r", name, exc)
        try:
            PeriodicTask.objects.filter(pk=pk).update(
                enabled=False, last_run_at=None, date_changed=as_datetime(time.time())
            )
        except (DatabaseError, InterfaceError) as db_exc:
            logger.warning("Disabling %s failed: %r", name, db_exc)
        self._remove(pk)
