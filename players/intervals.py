"""Adaptive fetch intervals: idle players are fetched less often, active ones at their setting.

After `after_unchanged` scheduled fetches in a row that found nothing new, the effective interval
doubles, up to `max_minutes` (never below the configured interval); the first fetch that finds
progress puts it back to the configured interval. A pure rule: the fetch service applies it and
`players/schedules.py` gives the PeriodicTask the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class AdaptiveRule:
    enabled: bool
    after_unchanged: int
    max_minutes: int

    @classmethod
    def from_settings(cls) -> AdaptiveRule:
        return cls(
            enabled=settings.ADAPTIVE_FETCH,
            after_unchanged=settings.FETCH_BACKOFF_AFTER_UNCHANGED,
            max_minutes=settings.FETCH_BACKOFF_MAX_MINUTES,
        )


@dataclass(frozen=True)
class IntervalState:
    effective_minutes: int
    unchanged_fetches: int


def next_interval(
    *, configured: int, current: IntervalState, progressed: bool, rule: AdaptiveRule
) -> IntervalState:
    """The interval state after one scheduled fetch that did (or did not) find progress."""
    if not rule.enabled or progressed:
        return IntervalState(effective_minutes=configured, unchanged_fetches=0)
    streak = current.unchanged_fetches + 1
    effective = max(current.effective_minutes, configured)
    if streak < rule.after_unchanged:
        return IntervalState(effective_minutes=effective, unchanged_fetches=streak)
    ceiling = max(configured, rule.max_minutes)
    return IntervalState(effective_minutes=min(effective * 2, ceiling), unchanged_fetches=0)
