"""Shared factory_boy factories for every app's tests: players, snapshots, mode changes, parties.

- `PlayerFactory`: a Player with its PeriodicTask made by the real schedule sync (`schedule=False`
  for none).
- `reading(values, at=...)`: a parsed hiscores reading generated from the metric catalogue.
- `SnapshotFactory(player=..., values=..., at=...)`: a Snapshot row stored with the write path's
  own row layout (`from_reading=` stores a given reading); `SnapshotFactory.create_history(...)`
  stores many in one `bulk_create`.
- `record_snapshot(player, values, at=...)`: a reading recorded through `snapshot_record` (change
  detection included); returns the outcome status.
- `GameModeChangeFactory`, `PartyFactory`, `DropFactory`, `party_with_drops(...)`.

Times are `T0` plus a `timedelta` (`days(n)`), or an absolute `datetime`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from drops.models import Drop, Party
from hiscores import layout
from hiscores.integration.fakes import make_hiscores_body
from hiscores.integration.parsing import parse_hiscores
from hiscores.integration.results import Board, HiscoresResult
from hiscores.models import Snapshot
from hiscores.services import snapshot_record
from players import schedules
from players.game_modes import GameMode
from players.models import GameModeChange, Player
from players.names import normalise_username

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

When = datetime | timedelta


def days(n: float) -> timedelta:
    """An offset from T0 in days."""
    return timedelta(days=n)


def at_time(at: When) -> datetime:
    """`at` as a datetime: T0 + `at` for an offset, `at` itself otherwise."""
    return T0 + at if isinstance(at, timedelta) else at


# --- players -------------------------------------------------------------------------------------


class PlayerFactory(DjangoModelFactory):
    """A Player with its PeriodicTask from the real schedule sync (schedule=False: none)."""

    class Meta:
        model = Player
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"player {n}")
    username_key = factory.LazyAttribute(lambda o: normalise_username(o.username))

    @factory.post_generation
    def schedule(obj: Player, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            schedules.player_schedule_sync(player=obj)


class GameModeChangeFactory(DjangoModelFactory):
    """A detected downward game-mode move (hardcore -> ironman by default)."""

    class Meta:
        model = GameModeChange

    player = factory.SubFactory(PlayerFactory, game_mode=GameMode.IRONMAN)
    from_mode = GameMode.HARDCORE
    to_mode = factory.LazyAttribute(lambda o: o.player.game_mode)
    detected_at = factory.LazyFunction(timezone.now)


# --- snapshots -----------------------------------------------------------------------------------


def reading(
    values: dict[str, int | None] | None = None,
    *,
    at: When = T0,
    board: Board = Board.REGULAR,
    **body_options: Any,
) -> HiscoresResult:
    """A parsed reading with the given XP/scores (others: 1,000,000 XP, bosses unranked)."""
    body_options.setdefault("default_xp", 1_000_000)
    body = make_hiscores_body(values, **body_options)
    return parse_hiscores(body, board=board, fetched_at=at_time(at))


def _snapshot_from(player_id: int, parsed: HiscoresResult) -> Snapshot:
    columns, extra = layout.row_values(parsed)
    return Snapshot(
        player_id=player_id,
        fetched_at=parsed.fetched_at,
        board=str(parsed.board),
        extra=extra,
        **columns,
    )


class SnapshotFactory(DjangoModelFactory):
    """A Snapshot row from `values` at `at` (or `from_reading=`), in the write path's row layout.

    It is stored as given: no change detection and no Player bookkeeping (use `record_snapshot`).
    """

    class Meta:
        model = Snapshot

    player = factory.SubFactory(PlayerFactory)

    @classmethod
    def _build(cls, model_class: type[Snapshot], *args: Any, **kwargs: Any) -> Snapshot:
        return cls._snapshot(**kwargs)

    @classmethod
    def _create(cls, model_class: type[Snapshot], *args: Any, **kwargs: Any) -> Snapshot:
        snapshot = cls._snapshot(**kwargs)
        snapshot.save()
        return snapshot

    @classmethod
    def _snapshot(
        cls,
        *,
        player: Player,
        values: dict[str, int | None] | None = None,
        at: When = T0,
        from_reading: HiscoresResult | None = None,
        **options: Any,
    ) -> Snapshot:
        parsed = from_reading or reading(values, at=at, **options)
        return _snapshot_from(player.pk, parsed)

    @classmethod
    def create_history(
        cls, player: Player, entries: Iterable[tuple[When, dict[str, int | None]]], **options: Any
    ) -> list[Snapshot]:
        """Many `(at, values)` readings stored in one bulk_create (for long histories)."""
        rows = [
            _snapshot_from(player.pk, reading(values, at=at, **options)) for at, values in entries
        ]
        return Snapshot.objects.bulk_create(rows)


def record_snapshot(
    player: Player, values: dict[str, int | None], *, at: When, **options: Any
) -> str:
    """Record a reading (XP for skills, scores otherwise) through snapshot_record; its status."""
    return snapshot_record(player_id=player.pk, reading=reading(values, at=at, **options)).status


# --- parties and drops ---------------------------------------------------------------------------


class PartyFactory(DjangoModelFactory):
    """An ended party by default (open parties come from drop_report in most tests)."""

    class Meta:
        model = Party

    world = factory.Sequence(lambda n: 300 + n % 200)
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    last_drop_at = factory.LazyAttribute(lambda p: p.created_at + timedelta(minutes=10))
    ended_at = factory.LazyAttribute(lambda p: p.last_drop_at + timedelta(minutes=5))
    total_drops = 0
    total_value = 0


class DropFactory(DjangoModelFactory):
    class Meta:
        model = Drop

    party = factory.SubFactory(PartyFactory)
    item_id = 1319
    item_name = "Rune 2h sword"
    quantity = 1
    value = 38_052
    received_at = factory.LazyAttribute(lambda d: d.party.last_drop_at)


def party_with_drops(*drops: tuple[int, str, int, int], **party_fields: Any) -> Party:
    """An ended party holding `(item_id, item_name, quantity, value)` drops, totals included."""
    party = PartyFactory(**party_fields)
    created = [
        DropFactory(
            party=party,
            item_id=item_id,
            item_name=name,
            quantity=quantity,
            value=value,
            received_at=party.created_at + timedelta(seconds=i),
        )
        for i, (item_id, name, quantity, value) in enumerate(drops)
    ]
    if created:
        party.total_drops = len(created)
        party.total_value = sum(d.value for d in created)
        party.biggest_drop = max(created, key=lambda d: (d.value, -d.pk))
        party.save()
    return party
