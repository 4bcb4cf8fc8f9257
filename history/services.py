"""Writes of the history app: achievements and records derived from stored snapshots.

- `snapshot_derive` runs inside the transaction that stored a snapshot (registered with
  hiscores.stored): one query reads the period starts, one upserts the records; achievements
  (rare) add an insert and their outbox events.
- `player_derived_rebuild` recomputes a player's achievements and records from the whole history
  (manage.py compute_achievements): idempotent, and the source of truth when snapshots were
  inserted in the middle of a history or accepted as baselines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Value

from hiscores import layout
from hiscores.models import Snapshot
from hiscores.stored import StoredSnapshot
from history import achievements as defs
from history.models import Achievement, Record
from history.records import PERIODS, period_bounds, period_gains
from osrs_diff import events

_ROW_FIELDS = ("id", "fetched_at", "is_baseline", "extra", *layout.COLUMN_NAMES)


def _metrics(row: dict[str, Any]) -> defs.Reading:
    return layout.row_metrics(row, row.get("extra"))


# --- Live: one stored snapshot -----------------------------------------------------------------


def snapshot_derive(stored: StoredSnapshot) -> None:
    """Achievements first shown by `stored` and the records of its day, week and month."""
    current = layout.row_metrics(stored.columns, stored.extra)
    bounds = {period: period_bounds(period, stored.fetched_at) for period in PERIODS}
    rows = _reference_rows(stored, bounds)
    previous = (
        layout.row_metrics(stored.previous, stored.previous["extra"]) if stored.previous else None
    )
    derived = defs.derive(previous, current)
    if derived:
        previous_at = rows["previous"]["fetched_at"] if "previous" in rows else None
        _achievements_insert(stored, derived, previous_at=previous_at)
    best: list[tuple[str, str, int, datetime, datetime]] = []
    baseline = rows.get("baseline")
    for period, (start, end) in bounds.items():
        reference = rows.get(period) or rows.get("first")
        if reference is None:
            continue
        if baseline is not None and baseline["fetched_at"] > reference["fetched_at"]:
            reference = baseline
        for metric, gained in period_gains(_metrics(reference), current).items():
            best.append((metric, period, gained, start, end))
    _records_raise(stored.player_id, best)


def _reference_rows(
    stored: StoredSnapshot, bounds: dict[str, tuple[datetime, datetime]]
) -> dict[str, dict[str, Any]]:
    """In one query: the rows in force at each period start, the player's first row, the latest
    baseline since the earliest period start, and the previous row's time."""
    base = Snapshot.objects.filter(player_id=stored.player_id).order_by()
    earliest = min(start for start, _ in bounds.values())
    parts = {
        period: base.filter(fetched_at__lte=start).order_by("-fetched_at")
        for period, (start, _) in bounds.items()
    }
    parts["first"] = base.order_by("fetched_at")
    parts["baseline"] = base.filter(
        is_baseline=True, fetched_at__gt=earliest, fetched_at__lte=stored.fetched_at
    ).order_by("-fetched_at")
    if stored.previous is not None:
        parts["previous"] = base.filter(pk=stored.previous["id"])
    querysets = [
        qs.annotate(part=Value(name)).values(*_ROW_FIELDS, "part")[:1] for name, qs in parts.items()
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        found = list(querysets[0].union(*querysets[1:], all=True))
    else:  # SQLite: one probe per part
        found = [row for qs in querysets for row in qs]
    return {row["part"]: row for row in found}


def _achievements_insert(
    stored: StoredSnapshot, derived: list[defs.Derived], *, previous_at: datetime | None
) -> None:
    """Insert new achievements (a redelivery inserts nothing) and announce the dated ones."""
    table = connection.ops.quote_name(Achievement._meta.db_table)
    fields = (
        "player_id",
        "key",
        "name",
        "metric",
        "measure",
        "threshold",
        "achieved_at",
        "previous_snapshot_at",
    )
    params: list[Any] = []
    for item in derived:
        d = item.definition
        params += [
            stored.player_id,
            d.key,
            d.name,
            d.metric,
            d.measure,
            d.threshold,
            stored.fetched_at if item.dated else None,
            previous_at if item.dated else None,
        ]
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(derived))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(fields)}) VALUES {values} "
            "ON CONFLICT (player_id, key) DO NOTHING RETURNING key",
            params,
        )
        inserted = {row[0] for row in cursor.fetchall()}
    items = [
        (_event_data(stored.username, item.definition, stored.fetched_at, previous_at), None)
        for item in derived
        if item.dated and item.definition.key in inserted
    ]
    events.event_record_many(name=events.PLAYER_ACHIEVEMENT, items=items)


def _event_data(
    username: str, d: defs.Definition, at: datetime, previous_at: datetime | None
) -> dict[str, Any]:
    # The keys osrs_diff.system.webhooks.discord formats: "Zezima reached 99 Attack".
    return {
        "username": username,
        "name": d.name,
        "metric": d.metric,
        "measure": d.measure,
        "threshold": d.threshold,
        "achieved_at": at.isoformat(),
        "previous_snapshot_at": previous_at.isoformat() if previous_at else None,
    }


def _records_raise(player_id: int, best: list[tuple[str, str, int, datetime, datetime]]) -> None:
    """Upsert records, keeping the larger gain (one statement)."""
    if not best:
        return
    table = connection.ops.quote_name(Record._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(best))
    params: list[Any] = []
    for metric, period, gained, start, end in best:
        params += [player_id, metric, period, gained, start, end]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (player_id, metric, period, gained, period_start, period_end) "
            f"VALUES {values} ON CONFLICT (player_id, metric, period) DO UPDATE SET "
            "gained = EXCLUDED.gained, period_start = EXCLUDED.period_start, "
            f"period_end = EXCLUDED.period_end WHERE {table}.gained < EXCLUDED.gained",
            params,
        )


# --- Backfill: a player's whole history --------------------------------------------------------


@transaction.atomic
def player_derived_rebuild(
    *, player_id: int, achievements: bool = True, records: bool = True, chunk_size: int = 500
) -> tuple[int, int]:
    """Recompute a player's achievements and records from every snapshot (no events).

    Returns (achievements, records) written. Achievements are upserted (never removed: one stays
    achieved after a rollback); records are replaced by the best gains found.
    """
    rows = (
        Snapshot.objects.filter(player_id=player_id)
        .order_by("fetched_at")
        .values(*_ROW_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    found: dict[str, Achievement] = {}
    best: dict[tuple[str, str], Record] = {}
    previous: dict[str, Any] | None = None
    previous_metrics = None
    starts: dict[str, tuple[tuple[datetime, datetime], defs.Reading]] = {}
    for row in rows:
        current = _metrics(row)
        at = row["fetched_at"]
        if achievements:
            for item in defs.derive(
                previous_metrics, current, known=set(found), is_baseline=row["is_baseline"]
            ):
                d = item.definition
                found[d.key] = Achievement(
                    player_id=player_id,
                    key=d.key,
                    name=d.name,
                    metric=d.metric,
                    measure=d.measure,
                    threshold=d.threshold,
                    achieved_at=at if item.dated else None,
                    previous_snapshot_at=previous["fetched_at"] if item.dated else None,
                )
        if records:
            for period in PERIODS:
                bounds = period_bounds(period, at)
                held = starts.get(period)
                if held is None or held[0] != bounds:
                    # Entering a period: count from the reading in force at its start.
                    in_force = previous_metrics if previous and at > bounds[0] else current
                    held = starts[period] = (bounds, in_force)
                if row["is_baseline"]:
                    held = starts[period] = (bounds, current)
                for metric, gained in period_gains(held[1], current).items():
                    record = best.get((metric, period))
                    if record is None or gained > record.gained:
                        best[(metric, period)] = Record(
                            player_id=player_id,
                            metric=metric,
                            period=period,
                            gained=gained,
                            period_start=bounds[0],
                            period_end=bounds[1],
                        )
        previous, previous_metrics = row, current
    if achievements and found:
        Achievement.objects.bulk_create(
            found.values(),
            update_conflicts=True,
            unique_fields=["player", "key"],
            update_fields=[
                "name",
                "metric",
                "measure",
                "threshold",
                "achieved_at",
                "previous_snapshot_at",
            ],
        )
    if records:
        Record.objects.filter(player_id=player_id).delete()
        Record.objects.bulk_create(best.values())
    return len(found), len(best)
