"""Celery tasks of the drops app."""

from __future__ import annotations

from celery import shared_task

from drops.services import party_end_idle

# The beat row created by migration 0002 stores this exact string: never rename it.
END_IDLE_PARTIES_TASK = "drops.end_idle_parties"


@shared_task(name=END_IDLE_PARTIES_TASK, acks_late=True, ignore_result=False)
def end_idle_parties() -> dict:
    """End every party idle past DROP_PARTY_IDLE_SECONDS (the sweeper, every 60 s)."""
    ended = party_end_idle()
    return {"parties_ended": len(ended), "party_ids": [party.id for party in ended]}
