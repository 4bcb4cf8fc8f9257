"""Celery tasks of competitions. Names are explicit: PeriodicTask rows store the strings."""

from __future__ import annotations

import logging

from celery import shared_task

from history.competitions import fetching, schedules, services, standings
from history.competitions.models import Competition

logger = logging.getLogger(__name__)

# The system sweep (history migration 0003) sends this every SWEEP_MINUTES.
FETCH_DUE_TASK = "history.competition_fetch_due"


@shared_task(name=schedules.START_TASK, acks_late=True, ignore_result=False)
def competition_start(competition_id: int) -> dict:
    """At starts_at: record `competition.started` once, then fetch every participant."""
    if not Competition.objects.filter(pk=competition_id).exists():
        logger.info("competition %s is gone: nothing to start", competition_id)
        return {"competition_id": competition_id, "status": "gone"}
    recorded = services.competition_start_record(competition_id=competition_id) is not None
    competition_fetch.delay(competition_id=competition_id)
    return {"competition_id": competition_id, "event_recorded": recorded}


@shared_task(name=schedules.FETCH_TASK, acks_late=True, ignore_result=True)
def competition_fetch(competition_id: int, offset: int = 0) -> dict:
    """Fetch one wave of participants (interactive); the next wave follows WAVE_SECONDS later."""
    wave = fetching.participants_fetch_wave(competition_id=competition_id, offset=offset)
    if wave.next_offset is not None:
        competition_fetch.apply_async(
            kwargs={"competition_id": competition_id, "offset": wave.next_offset},
            countdown=schedules.WAVE_SECONDS,
        )
    return {"competition_id": competition_id, "sent": wave.sent, "next": wave.next_offset}


@shared_task(name=schedules.END_TASK, acks_late=True, ignore_result=False)
def competition_end(competition_id: int) -> dict:
    """At ends_at: record `competition.ended` once, with the winner and the top 3."""
    competition = Competition.objects.filter(pk=competition_id).first()
    if competition is None:
        return {"competition_id": competition_id, "status": "gone"}
    result = standings.competition_standings(competition=competition)
    teams = result.teams or []
    winning_team = (
        {"name": teams[0].name, "gained": teams[0].gained, "members": teams[0].members}
        if teams
        else None
    )
    recorded = services.competition_end_record(
        competition_id=competition_id,
        top=standings.competition_top(result),
        winning_team=winning_team,
    )
    return {"competition_id": competition_id, "event_recorded": recorded is not None}


@shared_task(name=FETCH_DUE_TASK, acks_late=True, ignore_result=False)
def competition_fetch_due() -> dict:
    """Queue fetches of participants of running competitions not fetched for
    COMPETITION_FETCH_MINUTES; delete clocked tasks left by a lost competition."""
    return {
        "queued": fetching.participants_fetch_due(),
        "orphan_tasks_deleted": fetching.orphan_tasks_delete(),
    }
