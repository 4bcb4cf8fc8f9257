"""Writes for competitions: create, change, delete, and the start/end events (recorded once).

Every write that touches dates or participants brings the clocked tasks in line
(`history.competitions.schedules`) in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from hiscores.integration.catalogue import get_metric
from history.competitions import schedules
from history.competitions.models import Competition, CompetitionParticipant, CompetitionTeam
from osrs_diff.events import COMPETITION_ENDED, COMPETITION_STARTED, event_record
from osrs_diff.exceptions import Conflict, NotFound, ValidationFailed
from players.models import Group, Player
from players.names import normalise_username

logger = logging.getLogger(__name__)

MAX_PARTICIPANTS = 1000
MAX_TEAMS = 50
MIN_TEAMS = 2
MAX_DURATION = timedelta(days=366)
# What a finished competition still accepts: its title. Dates, participants and teams are
# refused once it ends (its standings and events are history); starts_at once it started.
EDITABLE_WHEN_FINISHED = frozenset({"title"})
EDITABLE_WHEN_ONGOING = frozenset({"title", "ends_at", "participants", "teams"})


@dataclass(frozen=True)
class TeamInput:
    name: str
    participants: Sequence[str]


def _fail(message: str, *, code: str = "validation_error", **details: Any) -> ValidationFailed:
    return ValidationFailed(message, error_code=code, details=details or None)


def _article(word: str) -> str:
    return "An" if word[:1].lower() in "aeiou" else "A"


def check_metric(metric: str) -> None:
    """400 `unknown_metric` unless `metric` is a catalogue key."""
    if get_metric(metric) is None:
        raise _fail(f"Unknown metric {metric[:40]!r}.", code="unknown_metric", metric=metric[:64])


def _check_dates(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise _fail("ends_at must be after starts_at.", field="ends_at")
    if ends_at - starts_at > MAX_DURATION:
        raise _fail("A competition lasts at most 366 days.", field="ends_at")


def check_not_past(fields: dict[str, Any], now: datetime) -> None:
    """A PATCH of an upcoming or ongoing competition moves no date to now or before (the status
    rules already refused what a finished one cannot change, and starts_at of an ongoing one).

    An end in the past would fire the final fetch and the end together (the ended event would
    miss the last readings); a start in the past would make the competition ongoing without its
    start fetch. 400 naming the field."""
    for field in ("starts_at", "ends_at"):
        if field in fields and fields[field] <= now:
            raise _fail(
                f"{field} must be in the future for a competition that has not ended "
                f"(it is {fields[field].isoformat()}, now is {now.isoformat()}).",
                code="date_in_past",
                field=field,
            )


def players_by_name(usernames: Sequence[str]) -> dict[str, Player]:
    """Tracked players by the normalised form of each name; 400 naming the ones not tracked."""
    keys = {name: normalise_username(name) for name in usernames}
    found = {p.username_key: p for p in Player.objects.filter(username_key__in=set(keys.values()))}
    unknown = [name for name, key in keys.items() if key not in found]
    if unknown:
        raise _fail(
            f"Not tracked: {', '.join(repr(name[:40]) for name in unknown[:20])}"
            + (f" and {len(unknown) - 20} more." if len(unknown) > 20 else "."),
            code="unknown_players",
            usernames=unknown,
        )
    return found


def _group_players(group_id: int) -> list[Player]:
    group = Group.objects.filter(pk=group_id).first()
    if group is None:
        raise _fail(f"Group {group_id} does not exist.", code="unknown_group", group_id=group_id)
    return list(group.members.all())


def _resolve(
    *,
    kind: str,
    participants: Sequence[str] | None,
    group_id: int | None,
    teams: Sequence[TeamInput] | None,
) -> tuple[list[Player], dict[str, list[Player]]]:
    """The participants and the teams (name -> members) after every membership rule."""
    if participants is not None and group_id is not None:
        raise _fail("Give participants or group_id, not both.", field="group_id")
    if kind == Competition.Kind.CLASSIC and teams:
        raise _fail("Only team competitions have teams.", field="teams")
    team_names = [team.name.strip() for team in teams or []]
    if kind == Competition.Kind.TEAM:
        if len(team_names) < MIN_TEAMS:
            raise _fail("A team competition needs at least 2 teams.", field="teams")
        if len(team_names) > MAX_TEAMS:
            raise _fail(f"At most {MAX_TEAMS} teams.", field="teams")
        lowered = [name.lower() for name in team_names]
        if any(not name for name in team_names) or len(set(lowered)) != len(lowered):
            raise _fail("Team names must be non-blank and unique.", field="teams")
    team_usernames = [name for team in teams or [] for name in team.participants]
    if group_id is not None:
        players = _group_players(group_id)
    elif participants is not None:
        players = list(players_by_name(participants).values())
    else:
        # A team competition may name its participants through its teams alone.
        players = list(players_by_name(team_usernames).values()) if teams else []
    players = list({p.pk: p for p in players}.values())
    if not players:
        raise _fail("A competition needs at least one participant.", field="participants")
    if len(players) > MAX_PARTICIPANTS:
        raise _fail(f"At most {MAX_PARTICIPANTS} participants.", field="participants")
    by_team: dict[str, list[Player]] = {}
    if teams:
        members = players_by_name(team_usernames)
        ids = {p.pk for p in players}
        seen: dict[int, str] = {}
        for name, team in zip(team_names, teams, strict=True):
            named = (members[normalise_username(u)] for u in team.participants)
            team_players = list({p.pk: p for p in named}.values())
            if not team_players:
                raise _fail(f"Team {name[:40]!r} has no members.", field="teams")
            for player in team_players:
                if player.pk not in ids:
                    raise _fail(
                        f"{player.username!r} is in team {name[:40]!r} but not a participant.",
                        code="not_a_participant",
                        username=player.username,
                    )
                if player.pk in seen:
                    raise _fail(
                        f"{player.username!r} is in two teams ({seen[player.pk][:40]!r} and "
                        f"{name[:40]!r}).",
                        code="in_two_teams",
                        username=player.username,
                    )
                seen[player.pk] = name
            by_team[name] = team_players
    return players, by_team


def _write_members(
    competition: Competition, players: list[Player], by_team: dict[str, list[Player]]
) -> None:
    """Replace the participants and teams of `competition` with these."""
    competition.participations.all().delete()
    competition.teams.all().delete()
    team_of: dict[int, CompetitionTeam] = {}
    for name, members in by_team.items():
        team = CompetitionTeam.objects.create(competition=competition, name=name)
        team_of.update({player.pk: team for player in members})
    CompetitionParticipant.objects.bulk_create(
        [
            CompetitionParticipant(competition=competition, player=p, team=team_of.get(p.pk))
            for p in players
        ]
    )


def competition_schedule_sync(*, competition: Competition, now: datetime | None = None) -> None:
    """Bring the clocked tasks in line with the competition's dates and participant count."""
    ids = schedules.competition_tasks_sync(
        created_at=competition.created_at,
        now=now or timezone.now(),
        competition_id=competition.pk,
        title=competition.title,
        starts_at=competition.starts_at,
        ends_at=competition.ends_at,
        participant_count=competition.participations.count(),
        current={
            moment: getattr(competition, field) for moment, field in schedules.LINK_FIELDS.items()
        },
    )
    changed = []
    for moment, pk in ids.items():
        field = schedules.LINK_FIELDS[moment]
        if getattr(competition, field) != pk:
            setattr(competition, field, pk)
            changed.append(field.removesuffix("_id"))
    if changed:
        competition.save(update_fields=changed)


def competition_create_check(
    *,
    title: str,
    metric: str,
    starts_at: datetime,
    ends_at: datetime,
    kind: str = Competition.Kind.CLASSIC,
    participants: Sequence[str] | None = None,
    group_id: int | None = None,
    teams: Sequence[TeamInput] | None = None,
) -> tuple[str, list[Player], dict[str, list[Player]]]:
    """Every rule of `competition_create`, writing nothing (the admin's form runs it in clean()):
    the stripped title, the participants and the teams; ValidationFailed on the first broken."""
    title = title.strip()
    if not title:
        raise _fail("The title must not be blank.", field="title")
    check_metric(metric)
    if kind not in Competition.Kind.values:
        raise _fail(f"Unknown kind {str(kind)[:20]!r}.", field="kind")
    _check_dates(starts_at, ends_at)
    players, by_team = _resolve(
        kind=kind, participants=participants, group_id=group_id, teams=teams
    )
    return title, players, by_team


def competition_create(
    *,
    title: str,
    metric: str,
    starts_at: datetime,
    ends_at: datetime,
    kind: str = Competition.Kind.CLASSIC,
    participants: Sequence[str] | None = None,
    group_id: int | None = None,
    teams: Sequence[TeamInput] | None = None,
) -> Competition:
    """A new competition, its participants (named, or a group's members now) and teams, and its
    clocked start, final-fetch and end tasks.

    Created while running: `competition.started` is recorded now and there is no start fetch.
    Created already finished (retroactive): no task and no event at all."""
    title, players, by_team = competition_create_check(
        title=title,
        metric=metric,
        starts_at=starts_at,
        ends_at=ends_at,
        kind=kind,
        participants=participants,
        group_id=group_id,
        teams=teams,
    )
    try:
        with transaction.atomic():
            competition = Competition.objects.create(
                title=title, metric=metric, kind=kind, starts_at=starts_at, ends_at=ends_at
            )
            _write_members(competition, players, by_team)
            competition_schedule_sync(competition=competition)
            if competition.starts_at <= competition.created_at < competition.ends_at:
                # Created while running: started now, once (no start task will record it).
                competition_start_record(competition_id=competition.pk, now=competition.created_at)
    except IntegrityError as exc:
        raise Conflict("The competition changed at the same time; try again.") from exc
    logger.info("competition %s created: %s, %s participants", competition.pk, metric, len(players))
    return competition


def competition_update(
    *,
    competition: Competition,
    now: datetime | None = None,
    **fields: Any,
) -> Competition:
    """Change title, dates, participants or teams (what the status allows); tasks follow."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Competition.objects.select_for_update().filter(pk=competition.pk).first()
        if locked is None:  # deleted since it was read (a DELETE racing this write)
            raise NotFound(
                f"Competition {competition.pk} does not exist.", error_code="competition_not_found"
            )
        competition = locked
        title, members = competition_update_check(competition=competition, now=now, **fields)
        competition.title = title
        competition.starts_at = fields.get("starts_at", competition.starts_at)
        competition.ends_at = fields.get("ends_at", competition.ends_at)
        if members is not None:
            _write_members(competition, *members)
        try:
            competition.save()
            competition_schedule_sync(competition=competition, now=now)
        except IntegrityError as exc:
            raise Conflict("The competition changed at the same time; try again.") from exc
    return competition


def competition_update_check(
    *, competition: Competition, now: datetime, **fields: Any
) -> tuple[str, tuple[list[Player], dict[str, list[Player]]] | None]:
    """Every rule of `competition_update`, writing nothing (the admin's form runs it in clean()):
    the status locks (a finished competition takes only a title: it is never reopened; an
    ongoing one keeps its start), metric and kind never change, dates, members. Returns the
    title and the new (participants, teams), or None when they do not change."""
    status = competition.status_at(now)
    fixed = sorted(
        name
        for name in ("metric", "kind")
        if name in fields and fields[name] != getattr(competition, name)
    )
    if fixed:
        raise Conflict(
            f"A competition cannot change {', '.join(fixed)} (delete it and create another).",
            error_code="competition_locked",
            details={"status": str(status), "fields": fixed},
        )
    fields = {name: value for name, value in fields.items() if name not in ("metric", "kind")}
    allowed = {
        Competition.Status.FINISHED: EDITABLE_WHEN_FINISHED,
        Competition.Status.ONGOING: EDITABLE_WHEN_ONGOING,
    }.get(status)
    refused = sorted(set(fields) - allowed) if allowed is not None else []
    if refused:
        raise Conflict(
            f"{_article(status)} {status} competition cannot change {', '.join(refused)}.",
            error_code="competition_locked",
            details={"status": str(status), "fields": refused},
        )
    title = competition.title
    if "title" in fields:
        title = fields["title"].strip()
        if not title:
            raise _fail("The title must not be blank.", field="title")
    _check_dates(
        fields.get("starts_at", competition.starts_at), fields.get("ends_at", competition.ends_at)
    )
    check_not_past(fields, now)
    members = None
    if "participants" in fields or "teams" in fields:
        members = _members_for_update(competition, fields)
    return title, members


def _members_for_update(
    competition: Competition, fields: dict[str, Any]
) -> tuple[list[Player], dict[str, list[Player]]]:
    participants = fields.get("participants")
    teams = fields.get("teams")
    if participants is None:
        participants = list(competition.participations.values_list("player__username", flat=True))
    if teams is None and competition.kind == Competition.Kind.TEAM:
        # Keep the teams; members no longer taking part leave them.
        kept = {normalise_username(name) for name in participants}
        current: dict[str, list[str]] = {team.name: [] for team in competition.teams.order_by("pk")}
        for name, username in competition.participations.exclude(team=None).values_list(
            "team__name", "player__username"
        ):
            if normalise_username(username) in kept:
                current[name].append(username)
        teams = [TeamInput(name, members) for name, members in current.items()]
    return _resolve(kind=competition.kind, participants=participants, group_id=None, teams=teams)


def competition_delete(*, competition: Competition) -> None:
    """Delete a competition, its participants, teams and clocked tasks."""
    logger.info("competition %s (%s) deleted", competition.pk, competition.title)
    competition.delete()


def competitions_delete(*, queryset: QuerySet[Competition]) -> int:
    """Delete a selection of competitions (the admin's bulk delete) with their clocked tasks."""
    deleted, _ = queryset.delete()
    return deleted


def _event_data(competition: Competition) -> dict[str, Any]:
    return {
        "id": competition.pk,
        "title": competition.title,
        "metric": competition.metric,
        "kind": competition.kind,
        "starts_at": competition.starts_at.isoformat(),
        "ends_at": competition.ends_at.isoformat(),
        "participants": competition.participations.count(),
    }


def competition_start_record(
    *, competition_id: int, now: datetime | None = None
) -> Competition | None:
    """Record `competition.started` once (None: gone, not started yet, or already recorded)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Competition.objects.filter(
            pk=competition_id, started_event_at=None, starts_at__lte=now
        ).update(started_event_at=now)
        if not claimed:
            return None
        competition = Competition.objects.get(pk=competition_id)
        event_record(name=COMPETITION_STARTED, data=_event_data(competition), occurred_at=now)
    return competition


def competition_end_record(
    *,
    competition_id: int,
    top: list[dict[str, Any]],
    winning_team: dict[str, Any] | None,
    now: datetime | None = None,
) -> Competition | None:
    """Record `competition.ended` once (None: not ended or recorded). `top` is everyone ranked 1
    to 3, best first then by name (ties included): `winner` is its first row (kept for existing
    consumers), `winners` every row at rank 1, `top_3` all of it."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Competition.objects.filter(
            pk=competition_id, ended_event_at=None, ends_at__lte=now
        ).update(ended_event_at=now)
        if not claimed:
            return None
        competition = Competition.objects.get(pk=competition_id)
        data = _event_data(competition)
        data["winner"] = top[0] if top else None
        data["winners"] = [row for row in top if row["rank"] == 1]
        data["top_3"] = list(top)
        if competition.kind == Competition.Kind.TEAM:
            data["winning_team"] = winning_team
        event_record(name=COMPETITION_ENDED, data=data, occurred_at=now)
    return competition
