"""Writes for drop parties: report a drop, end idle parties, end one party.

Concurrency design (every path is race-free under any interleaving):
- At most one open party per world is a partial unique constraint; creating a party is
  `INSERT ... ON CONFLICT DO NOTHING` (or a savepoint that catches the IntegrityError), and the
  loser of that race locks the winner's row instead.
- Every drop on a party runs under that party's row lock (`SELECT ... FOR UPDATE`), so the
  duplicate check, the insert and the totals update are serialised per party; different worlds
  never wait for each other.
- A party's `last_drop_at` only moves forward (`GREATEST`), whatever order clocks were read in;
  a copy counts as a duplicate of an accepted drop received up to the window before it (or after).
- On PostgreSQL all of it is one call of the `drops_report_drop()` function (migration 0003): one
  round trip, one implicit transaction. Elsewhere the same steps run through the ORM.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import BigIntegerField, Case, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from drops.models import Drop, Party
from osrs_diff import db, events
from osrs_diff.exceptions import NotFound

logger = logging.getLogger(__name__)

DropStatus = Literal["party_created", "drop_added", "ignored"]

# A lost creation race is retried; more than a couple of rounds means something is wrong.
_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class DropResult:
    """What happened to one reported drop."""

    status: DropStatus
    party_id: int
    world: int
    total_drops: int
    avg_drop_value: int
    # Only for ignored duplicates: seconds since the accepted drop with the same content.
    duplicate_age_seconds: float | None = None


@dataclass(frozen=True)
class EndedParty:
    """A party that has just been ended, with its final totals."""

    id: int
    world: int
    total_drops: int
    avg_drop: int
    created_at: datetime
    last_drop_at: datetime
    ended_at: datetime

    total_value: int = 0
    biggest_value: int = 0

    @property
    def duration_minutes(self) -> float:
        """Minutes from the first to the last drop."""
        return (self.last_drop_at - self.created_at).total_seconds() / 60

    def event_data(self) -> dict:
        """The `party.ended` event's data (the same keys as drops_report_drop() writes)."""
        return {
            "party_id": self.id,
            "world": self.world,
            "started_at": self.created_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "duration_seconds": (self.last_drop_at - self.created_at).total_seconds(),
            "drops": self.total_drops,
            "total_value": self.total_value,
            "biggest_value": self.biggest_value,
        }


def party_started_data(*, party_id: int, world: int, started_at: datetime) -> dict:
    """The `party.started` event's data (the same keys as drops_report_drop() writes)."""
    return {"party_id": party_id, "world": world, "started_at": started_at.isoformat()}


def _idle_timeout() -> timedelta:
    return timedelta(seconds=settings.DROP_PARTY_IDLE_SECONDS)


def _duplicate_window() -> timedelta:
    return timedelta(seconds=settings.DROP_DUPLICATE_WINDOW_SECONDS)


def _avg(total_value, total_drops: int) -> int:
    return int(total_value) // total_drops if total_drops else 0


def drop_report(
    *, world: int, item_id: int, item_name: str, quantity: int, value: int
) -> DropResult:
    """Record one reported drop on its world's party, counting the same drop only once."""
    report = db.pick(native=_report_postgresql, portable=_report_portable)
    return report(world=world, item_id=item_id, item_name=item_name, quantity=quantity, value=value)


# --- PostgreSQL: one statement, one round trip -------------------------------------------------
# drops_report_drop() (migration 0003) runs the same steps as _report_portable below inside the
# database; outside an atomic block the single statement is its own transaction, so there is no
# BEGIN/COMMIT round trip either.

_SQL_REPORT = "SELECT * FROM drops_report_drop(%s, %s, %s, %s, %s, %s, %s, %s)"


def _report_postgresql(
    *, world: int, item_id: int, item_name: str, quantity: int, value: int
) -> DropResult:
    now = timezone.now()
    params = [
        world,
        item_id,
        item_name,
        quantity,
        value,
        now,
        _duplicate_window(),
        _idle_timeout(),
    ]
    # CONN_HEALTH_CHECKS would send a `SELECT 1` on a reused connection before this call: a
    # second round trip per report. Instead a reused connection that turns out dead is replaced
    # and the call made once more, which is just as invisible to the client and safe: the call
    # is atomic, and if the lost attempt did commit, the repeat (same `now`) is its duplicate.
    retry = connection.connection is not None and not connection.in_atomic_block
    if retry:
        connection.health_check_done = True
    try:
        row = _call_report_drop(params)
    except (OperationalError, InterfaceError):
        if not retry:
            raise
        connection.close()
        row = _call_report_drop(params)
    status, party_id, total_drops, total_value, duplicate_at = row
    if status == "party_created":
        # The function wrote `party.started` (and `party.ended` for a stale party it closed) into
        # the outbox in the same statement; outside an atomic block this runs at once.
        transaction.on_commit(events.kick_delivery)
    return DropResult(
        status=status,
        party_id=party_id,
        world=world,
        total_drops=total_drops,
        avg_drop_value=_avg(total_value, total_drops),
        duplicate_age_seconds=(
            max(0.0, (now - duplicate_at).total_seconds()) if duplicate_at is not None else None
        ),
    )


def _call_report_drop(params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(_SQL_REPORT, params)
        return cursor.fetchone()


# --- Any other database (SQLite in embedded mode): the same steps through the ORM ----


def _report_portable(
    *, world: int, item_id: int, item_name: str, quantity: int, value: int
) -> DropResult:
    with transaction.atomic():
        return _report_portable_steps(
            world=world, item_id=item_id, item_name=item_name, quantity=quantity, value=value
        )


def _report_portable_steps(
    *, world: int, item_id: int, item_name: str, quantity: int, value: int
) -> DropResult:
    idle = _idle_timeout()
    fields = ("id", "last_drop_at", "total_drops", "total_value", "created_at", "biggest_value")
    for _attempt in range(_MAX_ATTEMPTS):
        row = (
            _with_biggest_value(Party.objects.select_for_update())
            .filter(world=world, ended_at=None)
            .values_list(*fields)
            .first()
        )
        now = timezone.now()
        if row is not None and row[1] <= now - idle:
            Party.objects.filter(pk=row[0]).update(ended_at=F("last_drop_at") + idle)
            party_id, last_drop_at, total_drops, total_value, created_at, biggest = row
            ended = (party_id, world, total_drops, total_value, created_at, last_drop_at, biggest)
            _record_ended([_ended(ended, last_drop_at + idle)])
            row = None
        if row is None:
            try:
                with transaction.atomic():
                    party_id = Party.objects.create(
                        world=world, created_at=now, last_drop_at=now
                    ).pk
            except IntegrityError:
                continue  # lost the race for this world's open party: lock the winner's
            events.event_record(
                name=events.PARTY_STARTED,
                data=party_started_data(party_id=party_id, world=world, started_at=now),
                occurred_at=now,
            )
            status: DropStatus = "party_created"
        else:
            party_id, status = row[0], "drop_added"
            duplicate_at = (
                Drop.objects.filter(
                    party_id=party_id,
                    item_id=item_id,
                    quantity=quantity,
                    received_at__gt=now - _duplicate_window(),
                )
                .order_by("-received_at")
                .values_list("received_at", flat=True)
                .first()
            )
            if duplicate_at is not None:
                return DropResult(
                    status="ignored",
                    party_id=party_id,
                    world=world,
                    total_drops=row[2],
                    avg_drop_value=_avg(row[3], row[2]),
                    duplicate_age_seconds=max(0.0, (now - duplicate_at).total_seconds()),
                )
        drop = Drop.objects.create(
            party_id=party_id,
            item_id=item_id,
            item_name=item_name,
            quantity=quantity,
            value=value,
            received_at=now,
        )
        biggest_value = Subquery(
            Drop.objects.filter(pk=OuterRef("biggest_drop_id")).values("value")[:1]
        )
        Party.objects.filter(pk=party_id).update(
            total_drops=F("total_drops") + 1,
            total_value=F("total_value") + value,
            last_drop_at=Greatest(F("last_drop_at"), Value(now)),
            biggest_drop_id=Case(
                When(biggest_drop_id=None, then=Value(drop.pk)),
                When(GreaterThan(Value(value), biggest_value), then=Value(drop.pk)),
                default=F("biggest_drop_id"),
                output_field=BigIntegerField(),
            ),
        )
        total_drops, total_value = Party.objects.filter(pk=party_id).values_list(
            "total_drops", "total_value"
        )[0]
        return DropResult(
            status=status,
            party_id=party_id,
            world=world,
            total_drops=total_drops,
            avg_drop_value=_avg(total_value, total_drops),
        )
    raise RuntimeError(f"could not open or lock a party on world {world}")


_ENDED_FIELDS = (
    "id",
    "world",
    "total_drops",
    "total_value",
    "created_at",
    "last_drop_at",
    "biggest_value",
)


def _with_biggest_value(queryset: QuerySet[Party]) -> QuerySet[Party]:
    # A subquery, not a join: FOR UPDATE cannot lock the nullable side of an outer join.
    biggest = Drop.objects.filter(pk=OuterRef("biggest_drop_id")).values("value")[:1]
    return queryset.annotate(biggest_value=Subquery(biggest))


def _ended(row: tuple, ended_at: datetime) -> EndedParty:
    party_id, world, total_drops, total_value, created_at, last_drop_at, biggest_value = row
    return EndedParty(
        id=party_id,
        world=world,
        total_drops=total_drops,
        avg_drop=_avg(total_value, total_drops),
        created_at=created_at,
        last_drop_at=last_drop_at,
        ended_at=ended_at,
        total_value=int(total_value),
        biggest_value=int(biggest_value or 0),
    )


def _record_ended(parties: list[EndedParty]) -> None:
    """The `party.ended` events (one INSERT), in the transaction that ended the parties."""
    events.event_record_many(
        name=events.PARTY_ENDED, items=[(party.event_data(), party.ended_at) for party in parties]
    )


def party_end_idle(*, now: datetime | None = None) -> list[EndedParty]:
    """End every open party without a drop for DROP_PARTY_IDLE_SECONDS; return them."""
    now = now or timezone.now()
    idle = _idle_timeout()
    cutoff = now - idle
    with transaction.atomic():
        # Parties a drop is being written to right now are skipped, not waited for: that drop
        # transaction ends them itself if they are stale, or keeps them alive.
        rows = list(
            _with_biggest_value(Party.objects.select_for_update(skip_locked=True))
            .filter(ended_at=None, last_drop_at__lte=cutoff)
            .order_by("id")
            .values_list(*_ENDED_FIELDS)
        )
        if not rows:
            return []
        # One conditional UPDATE for all of them; each ends when it went idle, not when swept.
        Party.objects.filter(
            pk__in=[row[0] for row in rows], ended_at=None, last_drop_at__lte=cutoff
        ).update(ended_at=F("last_drop_at") + idle)
        ended = [_ended(row, row[5] + idle) for row in rows]
        _record_ended(ended)
    for party in ended:
        logger.info(
            "drop party %s on world %s ended after %.1f idle minutes (%s drops)",
            party.id,
            party.world,
            idle.total_seconds() / 60,
            party.total_drops,
            extra={"party_id": party.id, "world": party.world},
        )
    return ended


def party_end(*, party_id: int, now: datetime | None = None) -> EndedParty | None:
    """End one party now (admin action); None when it had already ended."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            _with_biggest_value(Party.objects.select_for_update())
            .filter(pk=party_id)
            .values_list(*_ENDED_FIELDS, "ended_at")
            .first()
        )
        if row is None:
            raise NotFound(f"Party {party_id} does not exist.")
        if row[7] is not None:
            return None
        # A party already idle past the timeout ended back then, not at this click.
        Party.objects.filter(pk=party_id, ended_at=None).update(
            ended_at=Least(F("last_drop_at") + _idle_timeout(), Value(now))
        )
        ended_at = min(row[5] + _idle_timeout(), now)
        party = _ended(row[:7], ended_at)
        _record_ended([party])
    return party
