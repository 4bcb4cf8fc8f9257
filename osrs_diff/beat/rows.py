"""Row access for the scheduler: PeriodicTask rows read as plain tuples (datetimes as epoch
seconds) and last runs written back in one statement per batch. PostgreSQL gets hand-written SQL;
the embedded SQLite mode goes through the ORM."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Iterator

from django.db import connection
from django.db.models import FloatField, Q, QuerySet
from django.db.models.functions import Cast, Extract
from django_celery_beat.models import PeriodicTask

from osrs_diff import db

ROW_FIELDS = (
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
EPOCH_FIELDS = frozenset({"expires", "start_time", "last_run_at", "date_changed"})
Row = namedtuple("Row", ROW_FIELDS)
# What Scheduler.apply_async reads from an entry, with the JSON already parsed.
Message = namedtuple("Message", ("name", "task", "args", "kwargs", "options"))


def _postgresql() -> bool:
    return db.backend().NATIVE_SQL


def select_rows(queryset: QuerySet) -> list[Row]:
    """Rows with datetimes as epoch seconds.

    On PostgreSQL the database converts them and the query runs without Django's per-value
    converters (parsing 100,000 rows of timestamps in Python costs seconds). Elsewhere (the
    embedded SQLite mode, a handful of tasks) the ORM reads them and Python converts.
    """
    if not _postgresql():
        return [
            Row._make(
                ts(value) if name in EPOCH_FIELDS else value
                for name, value in zip(ROW_FIELDS, values, strict=True)
            )
            for values in queryset.values_list(*ROW_FIELDS)
        ]
    columns = [
        Cast(Extract(name, "epoch"), FloatField()) if name in EPOCH_FIELDS else name
        for name in ROW_FIELDS
    ]
    sql, params = queryset.values_list(*columns).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Row._make(values) for values in cursor.fetchall()]


def changed_since(
    since: dt.datetime | None, *, chunk_size: int
) -> Iterator[tuple[int, float, bool]]:
    """(id, date_changed as epoch seconds, enabled) of rows changed at or after `since`.

    Read oldest first in keyset chunks of `chunk_size` through the index on date_changed: the
    ORDER BY ... LIMIT keeps the planner on that index even when the table's statistics are stale
    (right after a bulk write, before autovacuum analyses it), and a bulk update of every row
    is read a chunk at a time instead of all at once.
    """
    queryset = PeriodicTask.objects.order_by("date_changed", "id")
    if since is not None:
        queryset = queryset.filter(date_changed__gte=since)
    after: tuple[dt.datetime, int] | None = None
    while True:
        page = queryset
        if after is not None:
            changed, pk = after
            page = page.filter(Q(date_changed__gt=changed) | Q(date_changed=changed, id__gt=pk))
        rows = list(page.values_list("id", "date_changed", "enabled")[:chunk_size])
        for pk, changed, enabled in rows:
            yield pk, ts(changed), enabled
        if len(rows) < chunk_size:
            return
        after = (rows[-1][1], rows[-1][0])


def ts(value: dt.datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def as_datetime(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC)


def bulk_write_runs(ids: list[int], last_runs: list[dt.datetime], counts: list[int]) -> None:
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
