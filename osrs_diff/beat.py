"""A django-celery-beat scheduler that stays fast with 100,000 per-player PeriodicTasks.

`IncrementalDatabaseScheduler` is a drop-in subclass of django-celery-beat's `DatabaseScheduler`:
the PeriodicTask rows, the admin and the `PeriodicTasks.update_changed()` signal stay exactly as
they are. What changes is how beat holds and refreshes the schedule:

- One heap keyed by the next due time. A tick pops what is due and sends it; it never walks the
  whole schedule, and it sends every due entry in one tick (bounded by a time budget) instead of
  one entry per tick.
- Player-shaped interval tasks are held as compact slotted entries (JSON kept as text, schedules
  and options shared), a few hundred bytes each. Everything else (crontab, solar, clocked,
  one-off, expiring and `system:` tasks) is held as the stock `ModelEntry` and decided by its own
  `is_due()`, so it behaves exactly as under the stock scheduler.
- Changes are read incrementally: when `PeriodicTasks.last_update` moves, only rows whose
  `date_changed` is recent are fetched (ids and timestamps first, full rows only for what differs).
  Deletes leave no row behind, so the set of enabled ids is compared by per-bucket count/sum
  aggregates and only mismatching buckets are listed. A full resync, done in id-ordered chunks
  spread over ticks, repairs anything missed (for example a `QuerySet.update()` that neither
  touched `date_changed` nor signalled).
- `last_run_at`/`total_run_count` are written back with `bulk_update` in batches, only for rows
  still enabled.
- Entries that became due while beat was down (or after a cadence change) are spread over
  `min(interval, catchup_window_seconds)` instead of being sent in one burst.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import heapq
import logging
import sys
import time
from collections import namedtuple
from collections.abc import Iterable
from typing import Any

from django.db import close_old_connections, connection
from django.db.models import Count, F, FloatField, QuerySet, Sum
from django.db.models.functions import Cast, Extract
from django.db.utils import DatabaseError, InterfaceError
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
    SolarSchedule,
)
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry
from kombu.utils.json import loads

from osrs_diff import db

logger = logging.getLogger(__name__)

SYSTEM_TASK_PREFIX = "system:"

_ROW_FIELDS = (
    "id",
    "name",
    "task",
    "args",
    "kwargs",
    "queue",
    "exchange",
    "routing_key",
    "priority",
    "headers",
    "expire_seconds",
    "expires",
    "one_off",
    "start_time",
    "enabled",
    "last_run_at",
    "total_run_count",
    "date_changed",
    "interval_id",
    "crontab_id",
    "solar_id",
    "clocked_id",
)
# Datetimes come back as epoch seconds: parsing 100,000 timestamps in Python costs seconds.
_EPOCH_FIELDS = frozenset({"expires", "start_time", "last_run_at", "date_changed"})
_Row = namedtuple("_Row", _ROW_FIELDS)
# What Scheduler.apply_async reads from an entry, with the JSON already parsed.
_Message = namedtuple("_Message", ("name", "task", "args", "kwargs", "options"))


def _postgresql() -> bool:
    return db.backend().NATIVE_SQL


def _select_rows(queryset: QuerySet) -> list[_Row]:
    """Rows with datetimes as epoch seconds.

    On PostgreSQL the database converts them and the query runs without Django's per-value
    converters (parsing 100,000 rows of timestamps in Python costs seconds). Elsewhere (the
    embedded SQLite mode, a handful of tasks) the ORM reads them and Python converts.
    """
    if not _postgresql():
        return [
            _Row._make(
                _ts(value) if name in _EPOCH_FIELDS else value
                for name, value in zip(_ROW_FIELDS, values, strict=True)
            )
            for values in queryset.values_list(*_ROW_FIELDS)
        ]
    columns = [
        Cast(Extract(name, "epoch"), FloatField()) if name in _EPOCH_FIELDS else name
        for name in _ROW_FIELDS
    ]
    sql, params = queryset.values_list(*columns).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_Row._make(values) for values in cursor.fetchall()]


def _changed_since(queryset: QuerySet) -> list[tuple[int, float, bool]]:
    """(id, date_changed as epoch seconds, enabled) for the rows of `queryset`."""
    if not _postgresql():
        return [
            (pk, _ts(changed), enabled)
            for pk, changed, enabled in queryset.values_list("id", "date_changed", "enabled")
        ]
    epoch = Cast(Extract("date_changed", "epoch"), FloatField())
    return list(queryset.values_list("id", epoch, "enabled"))


_OPTION_NAMES = ("queue", "exchange", "routing_key", "priority")
# Stock ModelEntry puts a never-run task with a start_time 30 years in the past so it fires at
# start_time; we mirror that so first runs land exactly where the stock scheduler puts them.
_THIRTY_YEARS = dt.timedelta(days=365 * 30).total_seconds()
_GOLDEN = 11400714819323198485  # 2**64 / phi: spreads consecutive ids evenly over [0, 1)
_MASK64 = (1 << 64) - 1
# Ids are grouped in buckets of this size for the delete check: one aggregate row per bucket.
_BUCKET_SHIFT = 10


def _ts(value: dt.datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def _as_datetime(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC)


def _bulk_write_runs(ids: list[int], last_runs: list[dt.datetime], counts: list[int]) -> None:
    """One UPDATE for a batch of rows, only those still enabled.

    Django's `bulk_update` does the same as one `UPDATE ... SET x = CASE WHEN id = ... END`
    per batch, but PostgreSQL evaluates that CASE linearly for every row (quadratic per batch):
    measured 0.3-0.4 s for a few hundred rows. Joining against arrays is linear. Disabled rows
    are skipped: saving a disabled task clears last_run_at on purpose.
    """
    if not _postgresql():
        PeriodicTask.objects.filter(enabled=True).bulk_update(
            [
                PeriodicTask(pk=pk, last_run_at=last_run, total_run_count=count)
                for pk, last_run, count in zip(ids, last_runs, counts, strict=True)
            ],
            ["last_run_at", "total_run_count"],
        )
        return
    table = connection.ops.quote_name(PeriodicTask._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET last_run_at = v.last_run_at, "
            "total_run_count = v.total_run_count "
            "FROM unnest(%s::integer[], %s::timestamptz[], %s::integer[]) "
            "AS v(id, last_run_at, total_run_count) "
            "WHERE t.id = v.id AND t.enabled",
            [ids, last_runs, counts],
        )


def _release_freed_memory() -> None:
    """Hand the memory freed after a full load (row chunks, query buffers) back to the OS.

    glibc keeps freed small blocks in its arenas, so a beat that once held 100,000 rows in flight
    would keep that high-water mark as resident memory for its whole life.
    """
    gc.collect()
    # Not glibc (macOS, musl): nothing to trim.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _spread_fraction(pk: int) -> float:
    """A fixed pseudo-random point in [0, 1) per task id, so catch-up order is stable."""
    return ((pk * _GOLDEN) & _MASK64) / float(1 << 64)


class _Interval:
    """One IntervalSchedule row, shared by every entry on that cadence."""

    __slots__ = ("id", "seconds")

    def __init__(self, pk: int, seconds: float) -> None:
        self.id = pk
        self.seconds = seconds


class IntervalEntry:
    """A compact schedule entry for an interval task (the per-player shape).

    Duck-types celery's `ScheduleEntry` for `Scheduler.apply_async` (`name`, `task`, `args`,
    `kwargs`, `options`); args/kwargs stay JSON text until the task is sent.
    """

    __slots__ = (
        "id",
        "name",
        "task",
        "args_json",
        "kwargs_json",
        "opts",
        "interval",
        "start_ts",
        "last_run_ts",
        "total_run_count",
        "changed_ts",
        "due",
        "queued",
        "seen",
    )

    def __init__(
        self,
        *,
        row: _Row,
        interval: _Interval,
        opts: tuple,
        start_ts: float | None,
        last_run_ts: float,
        total_run_count: int,
        changed_ts: float,
    ) -> None:
        self.id = row.id
        self.name = row.name
        # Task names and empty argument lists repeat across 100,000 rows: keep one copy each.
        self.task = sys.intern(row.task)
        self.args_json = sys.intern(row.args) if len(row.args) < 16 else row.args
        self.kwargs_json = row.kwargs
        self.opts = opts
        self.interval = interval
        self.start_ts = start_ts
        self.last_run_ts = last_run_ts
        self.total_run_count = total_run_count
        self.changed_ts = changed_ts
        self.due = 0.0
        self.queued = False
        self.seen = 0

    def __lt__(self, other: IntervalEntry | StockEntry) -> bool:
        # Heap order. Entries sit in the heap themselves: no (due, seq, entry) tuple each.
        if self.due != other.due:
            return self.due < other.due
        return self.id < other.id

    @property
    def args(self) -> list:
        return loads(self.args_json or "[]")

    @property
    def kwargs(self) -> dict:
        return loads(self.kwargs_json or "{}")

    @property
    def options(self) -> dict[str, Any]:
        # Same options the stock ModelEntry builds from the row.
        options: dict[str, Any] = {}
        for name, value in zip(_OPTION_NAMES, self.opts[:4], strict=True):
            if value is not None:
                options[name] = value
        if self.opts[4]:
            options["expires"] = self.opts[4]
        headers = loads(self.opts[5] or "{}")
        headers["periodic_task_name"] = self.name
        # Lets a task tell a second send of the same due time (two beats, a restarted beat)
        # from the next one: see hiscores.services.scheduled_fetch_claim.
        headers["schedule_interval_seconds"] = self.interval.seconds
        options["headers"] = headers
        return options

    @property
    def last_run_at(self) -> dt.datetime:
        return _as_datetime(self.last_run_ts)

    def next_due(self) -> float:
        due = self.last_run_ts + self.interval.seconds
        if self.start_ts is not None and self.start_ts > due:
            return self.start_ts
        return due

    def same_definition(self, other: IntervalEntry) -> bool:
        return (
            self.name == other.name
            and self.task == other.task
            and self.args_json == other.args_json
            and self.kwargs_json == other.kwargs_json
            and self.opts == other.opts
            and self.interval is other.interval
            and self.start_ts == other.start_ts
            and self.changed_ts == other.changed_ts
            and self.last_run_ts == other.last_run_ts
            and self.total_run_count == other.total_run_count
        )

    def __repr__(self) -> str:
        return (
            f"<IntervalEntry: {self.name} {self.task}(*{self.args_json}, **{self.kwargs_json}) "
            f"every {self.interval.seconds}s>"
        )


class StockEntry:
    """Wraps the stock `ModelEntry` for crontab, solar, clocked, one-off and system tasks."""

    __slots__ = ("id", "key", "entry", "changed_ts", "due", "queued", "seen")

    def __init__(self, *, key: tuple, entry: ModelEntry, changed_ts: float) -> None:
        self.id = entry.model.pk
        self.key = key
        self.entry = entry
        self.changed_ts = changed_ts
        self.due = 0.0
        self.queued = False
        self.seen = 0

    __lt__ = IntervalEntry.__lt__

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def last_run_at(self) -> dt.datetime:
        return self.entry.model.last_run_at

    @property
    def total_run_count(self) -> int:
        return self.entry.model.total_run_count

    def __repr__(self) -> str:
        return repr(self.entry)


def _definition_key(row: _Row) -> tuple:
    """The row minus the fields beat itself writes back."""
    return row._replace(last_run_at=None, total_run_count=None)


class IncrementalDatabaseScheduler(DatabaseScheduler):
    """Database scheduler with O(due) ticks and O(changed) reloads for 100,000+ tasks."""

    #: Seconds between polls of `PeriodicTasks.last_update` (a one-row primary key read).
    changes_poll_seconds = 1.0
    #: After a change is seen, keep rescanning for this long: the stock signal commits the
    #: `last_update` bump before the row itself, so the first scan can come too early.
    settle_seconds = 5.0
    #: Re-read rows whose date_changed is up to this much older than the newest seen, for
    #: transactions that committed late and clock skew between writers.
    change_lookback_seconds = 60.0
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
        self._intervals: dict[int, _Interval] = {}
        self._stock_tables: tuple = ()
        self._opts_cache: dict[tuple, tuple] = {}
        self._last_change: dt.datetime | None = None
        self._watermark: float | None = None
        self._next_poll = 0.0
        self._settle_until = 0.0
        self._next_full_sync = 0.0
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
        _release_freed_memory()
        self._next_full_sync = now + self.full_sync_seconds
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
            message = _Message(entry.name, entry.task, entry.args, entry.kwargs, entry.options)
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
                _bulk_write_runs(ids[start:stop], last_runs[start:stop], counts[start:stop])
        except (DatabaseError, InterfaceError) as exc:
            logger.warning("IncrementalDatabaseScheduler: writing last runs failed: %r", exc)
            return
        self._dirty.difference_update(pending)
        self.stats["flushed"] += len(ids)

    # --- picking up changes ------------------------------------------------------------------

    def _read_last_change(self) -> dt.datetime | None:
        return PeriodicTasks.objects.filter(ident=1).values_list("last_update", flat=True).first()

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
        """Apply rows changed since the last scan, then catch deletes by id checksums."""
        self.stats["incremental_scans"] += 1
        self._refresh_schedule_tables(now)
        qs = PeriodicTask.objects.all()
        if self._watermark is not None:
            since = _as_datetime(self._watermark - self.change_lookback_seconds)
            qs = qs.filter(date_changed__gte=since)
        stale: list[int] = []
        for pk, changed_ts, enabled in _changed_since(qs):
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
        self._reconcile_deletes(now)

    def _reconcile_deletes(self, now: float) -> None:
        totals = PeriodicTask.objects.filter(enabled=True).aggregate(n=Count("id"), s=Sum("id"))
        if totals["n"] == self._known_count and (totals["s"] or 0) == self._known_sum:
            return
        self.stats["id_reconciles"] += 1
        bucket_rows = (
            PeriodicTask.objects.filter(enabled=True)
            .annotate(bucket=F("id").bitrightshift(_BUCKET_SHIFT))
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
            low, high = bucket << _BUCKET_SHIFT, (bucket + 1) << _BUCKET_SHIFT
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

    def _chunk_after(self, cursor: int) -> list[_Row]:
        """The next chunk of enabled rows in id order (keyset pagination: memory stays flat)."""
        queryset = PeriodicTask.objects.filter(enabled=True, id__gt=cursor).order_by("id")
        return _select_rows(queryset[: self.resync_chunk_size])

    def _fetch_rows(self, ids: list[int]) -> list[_Row]:
        rows: list[_Row] = []
        for start in range(0, len(ids), self.resync_chunk_size):
            chunk = ids[start : start + self.resync_chunk_size]
            rows.extend(_select_rows(PeriodicTask.objects.filter(id__in=chunk)))
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
                self._intervals[interval.pk] = _Interval(interval.pk, seconds)
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

    # --- building entries from rows ----------------------------------------------------------

    def _apply_rows(self, rows: Iterable[_Row], now: float) -> None:
        stock_rows: list[_Row] = []
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
            elif not (isinstance(old, StockEntry) and old.key == _definition_key(row)):
                stock_rows.append(row)
        if stock_rows:
            self._apply_stock_rows(stock_rows, now)

    @staticmethod
    def _is_interval_row(row: _Row) -> bool:
        return (
            row.interval_id is not None
            and row.crontab_id is None
            and row.solar_id is None
            and row.clocked_id is None
            and row.expires is None
            and not row.one_off
            and not row.name.startswith(SYSTEM_TASK_PREFIX)
        )

    def _apply_interval_row(
        self, row: _Row, old: IntervalEntry | StockEntry | None, changed_ts: float, now: float
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
            last_run_ts = changed_ts if changed_ts is not None else now
            if start_ts is not None:
                last_run_ts -= _THIRTY_YEARS
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
        spread = now + _spread_fraction(entry.id) * window
        if old is not None and old.due < spread:
            return old.due  # already planned sooner; never postpone it again
        return spread

    def _apply_stock_rows(self, rows: list[_Row], now: float) -> None:
        keys = {row.id: _definition_key(row) for row in rows}
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
                enabled=False, last_run_at=None, date_changed=_as_datetime(time.time())
            )
        except (DatabaseError, InterfaceError) as db_exc:
            logger.warning("Disabling %s failed: %r", name, db_exc)
        self._remove(pk)

    # --- the set of known ids (entries + unschedulable rows) ---------------------------------

    def _count_in(self, pk: int) -> None:
        bucket = self._buckets.setdefault(pk >> _BUCKET_SHIFT, [0, 0])
        bucket[0] += 1
        bucket[1] += pk
        self._known_count += 1
        self._known_sum += pk

    def _count_out(self, pk: int) -> None:
        key = pk >> _BUCKET_SHIFT
        bucket = self._buckets[key]
        bucket[0] -= 1
        bucket[1] -= pk
        if not bucket[0]:
            del self._buckets[key]
        self._known_count -= 1
        self._known_sum -= pk

    def _set_entry(self, entry: IntervalEntry | StockEntry) -> None:
        pk = entry.id
        if pk not in self._entries and pk not in self._broken:
            self._count_in(pk)
        self._broken.pop(pk, None)
        self._entries[pk] = entry

    def _set_broken(self, pk: int, changed_ts: float | None) -> None:
        if pk not in self._entries and pk not in self._broken:
            self._count_in(pk)
        self._entries.pop(pk, None)
        self._broken[pk] = changed_ts or 0.0

    def _remove(self, pk: int) -> None:
        known = self._entries.pop(pk, None) is not None
        known = (self._broken.pop(pk, None) is not None) or known
        if known:
            self._count_out(pk)
        self._dirty.discard(pk)
