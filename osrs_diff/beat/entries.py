"""Schedule entries: compact slotted entries for per-player interval tasks, and a wrapper around
the stock `ModelEntry` for everything else (crontab, solar, clocked, one-off, expiring, system)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django_celery_beat.schedulers import ModelEntry
from kombu.utils.json import loads

from osrs_diff.beat import api
from osrs_diff.beat.rows import Row, as_datetime

_GOLDEN = 11400714819323198485  # 2**64 / phi: spreads consecutive ids evenly over [0, 1)
_MASK64 = (1 << 64) - 1


def spread_fraction(pk: int) -> float:
    """A fixed pseudo-random point in [0, 1) per task id, so catch-up order is stable."""
    return ((pk * _GOLDEN) & _MASK64) / float(1 << 64)


class Interval:
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
        row: Row,
        interval: Interval,
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
        queue, exchange, routing_key, priority, expire_seconds, headers_json = self.opts
        options = api.build_options(
            name=self.name,
            queue=queue,
            exchange=exchange,
            routing_key=routing_key,
            priority=priority,
            expires=expire_seconds,
            headers_json=headers_json,
        )
        headers = options["headers"]
        # Lets a task tell a second send of the same due time (two beats, a restarted beat)
        # from the next one: see hiscores.scheduled.scheduled_fetch_claim.
        headers["schedule_interval_seconds"] = self.interval.seconds
        return options

    @property
    def last_run_at(self) -> dt.datetime:
        return as_datetime(self.last_run_ts)

    def next_due(self) -> float:
        return api.interval_due(self.last_run_ts, self.interval.seconds, self.start_ts)

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


def definition_key(row: Row) -> tuple:
    """The row minus the fields beat itself writes back."""
    return row._replace(last_run_at=None, total_run_count=None)
