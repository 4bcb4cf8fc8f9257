"""The scheduler class: set-up, the heap-driven tick, sending and writing last runs back.

Refreshing (`changes`), building entries (`building`) and the id bookkeeping (`known_ids`) are
mixed in from their own modules; see the package docstring for the design.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import time
from typing import Any

from django.db.utils import DatabaseError, InterfaceError
from django_celery_beat.schedulers import DatabaseScheduler

from osrs_diff.beat.building import BuildingMixin
from osrs_diff.beat.changes import ChangesMixin
from osrs_diff.beat.entries import Interval, IntervalEntry, StockEntry
from osrs_diff.beat.known_ids import KnownIdsMixin
from osrs_diff.beat.memory import release_freed_memory
from osrs_diff.beat.rows import Message, bulk_write_runs

logger = logging.getLogger("osrs_diff.beat")


class IncrementalDatabaseScheduler(ChangesMixin, BuildingMixin, KnownIdsMixin, DatabaseScheduler):
    """Database scheduler with O(due) ticks and O(changed) reloads for 100,000+ tasks."""

    #: Seconds between polls of `PeriodicTasks.last_update` (a one-row primary key read).
    changes_poll_seconds = 1.0
    #: After a change is seen, keep rescanning for this long: the stock signal commits the
    #: `last_update` bump before the row itself, so the first scan can come too early.
    settle_seconds = 5.0
    #: Re-read rows whose date_changed is up to this much older than the newest seen, for
    #: transactions that committed late and clock skew between writers.
    change_lookback_seconds = 60.0
    #: Deletes come from tombstones; the id-aggregate check behind them runs this often at most.
    reconcile_seconds = 60.0
    #: Tombstones older than this are pruned (beat reads back only change_lookback_seconds).
    tombstone_keep_seconds = 86400.0
    #: Tombstone ids skipped by a scan (a delete not yet committed) asked for again, at most.
    max_tombstone_gaps = 10_000
    #: Full resync (the safety net) every this many seconds, in chunks spread over ticks.
    full_sync_seconds = 300.0
    resync_chunk_size = 5000
    #: Entries overdue by more than this are spread out instead of sent at once...
    catchup_grace_seconds = 30.0
    #: ...over min(their interval, this window).
    catchup_window_seconds = 600.0
    #: Write last_run_at back at least this often (seconds) or after this many sends.
    sync_every = 5.0
    flush_every_tasks = 500
    flush_batch_size = 1000
    #: A tick that has work keeps sending for at most this long before polling for changes.
    tick_budget_seconds = 0.25
    #: When sending fails (broker down), the entry is retried after this many seconds.
    send_retry_seconds = 5.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._entries: dict[int, IntervalEntry | StockEntry] = {}
        self._broken: dict[int, float] = {}  # enabled rows beat cannot schedule: id -> changed_ts
        self._heap_items: list[IntervalEntry | StockEntry] = []
        self._heap_dirty = False  # an entry's due changed while in the heap: heapify first
        self._buckets: dict[int, list[int]] = {}  # id >> shift -> [count, sum] of known ids
        self._known_count = 0
        self._known_sum = 0
        self._intervals: dict[int, Interval] = {}
        self._stock_tables: tuple = ()
        self._opts_cache: dict[tuple, tuple] = {}
        self._last_change: dt.datetime | None = None
        self._watermark: float | None = None
        self._tombstone_cursor = 0  # the highest tombstone id applied
        self._tombstone_gaps: dict[int, float] = {}  # ids below it not seen yet -> since when
        self._next_poll = 0.0
        self._settle_until = 0.0
        self._next_full_sync = 0.0
        self._next_reconcile = 0.0
        self._round = 0
        self._resync_cursor: int | None = None
        self._loaded = False
        self._last_flush = time.time()
        self.stats: dict[str, int] = {
            "full_loads": 0,
            "resync_rounds": 0,
            "incremental_scans": 0,
            "rows_applied": 0,
            "id_reconciles": 0,
            "tombstones_read": 0,
            "sent": 0,
            "send_errors": 0,
            "flushed": 0,
        }
        super().__init__(*args, **kwargs)
        self._dirty: set[int] = set()
        if not self.sync_every_tasks:
            self.sync_every_tasks = self.flush_every_tasks

    # --- set-up ------------------------------------------------------------------------------

    def setup_schedule(self) -> None:
        self.install_default_entries(None)
        self.update_from_dict(self.app.conf.beat_schedule)
        self._initial_load()

    def update_from_dict(self, mapping: dict) -> None:
        """Create/update rows for code-defined entries (as stock does); the load reads them."""
        ids = []
        for name, entry_fields in mapping.items():
            try:
                entry = self.Entry.from_entry(name, app=self.app, **entry_fields)
                ids.append(entry.model.pk)
            except Exception as exc:
                logger.exception("Cannot add entry %r to database schedule: %r", name, exc)
        if self._loaded and ids:
            self._apply_rows(self._fetch_rows(ids), time.time())

    def _initial_load(self) -> None:
        now = time.time()
        self._last_change = self._read_last_change()
        self._tombstone_cursor = self._read_tombstone_cursor()  # the load sees those deletes
        self._refresh_schedule_tables(now, initial=True)
        self._round += 1
        cursor = 0
        while True:
            rows = self._chunk_after(cursor)
            self._apply_rows(rows, now)
            if len(rows) < self.resync_chunk_size:
                break
            cursor = rows[-1].id
        self._loaded = True
        self.stats["full_loads"] += 1
        release_freed_memory()
        self._next_full_sync = now + self.full_sync_seconds
        self._next_reconcile = now + self.reconcile_seconds  # the load saw every id
        # The load read everything committed by now: later scans start here (minus the
        # lookback), not at the newest row's date_changed, which may be long ago.
        self._advance_watermark(now)
        self._next_poll = now + self.changes_poll_seconds
        logger.info(
            "IncrementalDatabaseScheduler: loaded %d entries (%d unschedulable)",
            len(self._entries),
            len(self._broken),
        )

    # --- introspection -----------------------------------------------------------------------

    @property
    def schedule(self) -> dict[str, IntervalEntry | StockEntry]:
        """Name -> entry, built on demand (introspection only; the ticks use the heap)."""
        return {entry.name: entry for entry in self._entries.values()}

    @property
    def info(self) -> str:
        return (
            f"    . incremental db scheduler: {len(self._entries)} entries, full resync every "
            f"{self.full_sync_seconds:g}s"
        )

    def __len__(self) -> int:
        return len(self._entries)

    def get_entry(self, pk: int) -> IntervalEntry | StockEntry | None:
        return self._entries.get(pk)

    # --- the tick ----------------------------------------------------------------------------

    def tick(self, *args: Any, **kwargs: Any) -> float:
        now = time.time()
        self._maybe_refresh(now)
        if self._heap_dirty:
            heapq.heapify(self._heap_items)
            self._heap_dirty = False
        heap = self._heap_items
        entries = self._entries
        started = time.perf_counter()
        while heap:
            entry = heap[0]
            if entries.get(entry.id) is not entry:
                heapq.heappop(heap).queued = False  # replaced by a newer entry, or removed
                continue
            now = time.time()
            if entry.due > now:
                return min(entry.due - now, self.max_interval)
            heapq.heappop(heap)
            entry.queued = False
            if isinstance(entry, IntervalEntry):
                self._run_interval(entry, now)
            else:
                self._run_stock(entry, now)
            if time.perf_counter() - started > self.tick_budget_seconds:
                return 0
        return self.max_interval

    def _push(self, entry: IntervalEntry | StockEntry, due: float) -> None:
        entry.due = due
        if entry.queued:
            self._heap_dirty = True  # rare: a shared interval changed under queued entries
            return
        entry.queued = True
        heapq.heappush(self._heap_items, entry)

    def _compact_heap(self) -> None:
        if len(self._heap_items) > 2 * len(self._entries) + 1000:
            for entry in self._heap_items:
                entry.queued = False
            self._heap_items = list(self._entries.values())
            for entry in self._heap_items:
                entry.queued = True
            heapq.heapify(self._heap_items)
            self._heap_dirty = False

    def _run_interval(self, entry: IntervalEntry, now: float) -> None:
        try:
            # JSON is parsed here, once per send, rather than for every row at load.
            message = Message(entry.name, entry.task, entry.args, entry.kwargs, entry.options)
        except ValueError as exc:
            self._disable(entry.id, entry.name, exc)
            return
        previous = entry.last_run_ts, entry.total_run_count
        entry.last_run_ts = now
        entry.total_run_count += 1
        if not self._send(message):
            entry.last_run_ts, entry.total_run_count = previous
            self._push(entry, now + self.send_retry_seconds)
            return
        self._dirty.add(entry.id)
        self._push(entry, entry.next_due())

    def _run_stock(self, wrapper: StockEntry, now: float) -> None:
        entry = wrapper.entry
        try:
            is_due, next_time = entry.is_due()
        except Exception:
            is_due, next_time = self._is_due_failed(entry)
        if not wrapper.entry.model.enabled:
            # is_due() disabled it (expired or a finished one-off) and saved the row.
            self._remove(wrapper.id)
            return
        if not is_due:
            self._push(wrapper, now + max(float(next_time), 0.0))
            return
        next_entry = next(entry)
        if not self._send(entry):
            # next() moved the shared model's counters forward; undo that.
            entry.model.last_run_at = entry.last_run_at
            entry.model.total_run_count = entry.total_run_count
            self._push(wrapper, now + self.send_retry_seconds)
            return
        wrapper.entry = next_entry
        self._dirty.add(wrapper.id)
        self._push(wrapper, now + max(float(next_time), 0.0))

    def _send(self, entry: Any) -> bool:
        logger.info("Scheduler: Sending due task %s (%s)", entry.name, entry.task)
        try:
            self.apply_async(entry, producer=self.producer, advance=False)
        except Exception as exc:
            self.stats["send_errors"] += 1
            logger.error(
                "Sending %s failed, retrying in %ss: %s", entry.name, self.send_retry_seconds, exc
            )
            return False
        self.stats["sent"] += 1
        return True

    # --- writing last_run_at back ------------------------------------------------------------

    def should_sync(self) -> bool:
        return bool(self._dirty) and (
            len(self._dirty) >= self.sync_every_tasks
            or time.time() - self._last_flush >= self.sync_every
        )

    def _do_sync(self) -> None:
        try:
            self.sync()
        finally:
            self._last_flush = time.time()
            self._tasks_since_sync = 0

    def sync(self) -> None:
        """Write last_run_at/total_run_count of sent entries back, a batch per statement."""
        if not self._dirty:
            return
        pending = list(self._dirty)
        ids, last_runs, counts = [], [], []
        for pk in pending:
            entry = self._entries.get(pk)
            if entry is not None:
                ids.append(pk)
                last_runs.append(entry.last_run_at)
                counts.append(entry.total_run_count)
        try:
            self._release_stale_connection()
            for start in range(0, len(ids), self.flush_batch_size):
                stop = start + self.flush_batch_size
                bulk_write_runs(ids[start:stop], last_runs[start:stop], counts[start:stop])
        except (DatabaseError, InterfaceError) as exc:
            logger.warning("IncrementalDatabaseScheduler: writing last runs failed: %r", exc)
            return
        self._dirty.difference_update(pending)
        self.stats["flushed"] += len(ids)
