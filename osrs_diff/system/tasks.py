"""Celery tasks of the operations side. Names are explicit: PeriodicTask rows store the strings."""

from __future__ import annotations

import logging

from celery import shared_task

from osrs_diff.beat.api import system_task_name
from players import services as players_services

logger = logging.getLogger(__name__)

CHECK_SCHEDULE_DRIFT = "system.check_schedule_drift"
# Created by players/migrations/0004 (crontab 03:00 UTC).
SCHEDULE_DRIFT_CHECK_NAME = system_task_name("daily schedule drift check")

_KINDS = (
    "missing_task",
    "adopted_task",
    "orphan_task",
    "wrong_interval",
    "wrong_enabled",
    "wrong_other",
)


@shared_task(name=CHECK_SCHEDULE_DRIFT, acks_late=True, ignore_result=False)
def check_schedule_drift() -> dict:
    """Repair drift between players and their PeriodicTasks (what `sync_player_schedules` does)."""
    report = players_services.player_schedules_sync_all()
    result = report.as_dict()
    if report.drift:
        for kind in _KINDS:
            if count := getattr(report, kind):
                examples = ", ".join(report.examples.get(kind, []))
                logger.warning(
                    "schedule drift repaired: %s %s (e.g. %s)",
                    count,
                    kind.replace("_", " "),
                    examples,
                )
        logger.warning("schedule drift check repaired %d drifts", report.drift)
    else:
        logger.info("schedule drift check: no drift in %d players", report.players)
    result["repaired"] = report.drift
    return result
