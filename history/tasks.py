"""Celery tasks of the history app (autodiscovered here): the competition tasks."""

from history.competitions.tasks import (
    competition_end,
    competition_fetch,
    competition_fetch_due,
    competition_start,
)

__all__ = ["competition_end", "competition_fetch", "competition_fetch_due", "competition_start"]
