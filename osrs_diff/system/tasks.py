"""Celery tasks of the operations side. Names are explicit: PeriodicTask rows store the strings."""

from __future__ import annotations

import logging

from celery import shared_task

from osrs_diff.beat.api import system_task_name
from osrs_diff.events import DELIVER_EVENTS_TASK
from osrs_diff.system.webhooks import delivery
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


# Sent by name on commit by osrs_diff.events and every 10 s by the sweep (system migration 0003).
DELIVER_EVENTS_SWEEP_NAME = system_task_name("deliver webhook events")


@shared_task(name=DELIVER_EVENTS_TASK, acks_late=True, ignore_result=True)
def deliver_events() -> dict:
    """Fan outbox events out to subscribed webhooks and send due deliveries (idempotent)."""
    run = delivery.events_deliver()
    if run.events_dispatched or run.delivered or run.retrying or run.failed:
        logger.info("webhook delivery: %s", run.as_dict())
    return run.as_dict()
