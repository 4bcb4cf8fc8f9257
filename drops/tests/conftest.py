"""Fixtures shared by the drop throttle tests (the DRF view and the lean POST /drops path)."""

from datetime import UTC, datetime

import pytest

from drops.throttling import redis_counter

# 10 s into a minute window: a throttle window is never crossed by accident.
THROTTLE_T0 = datetime(2026, 5, 1, 12, 0, 10, tzinfo=UTC)


@pytest.fixture
def fresh_throttle_counter():
    """The drop throttle's Redis counters start and end empty."""
    redis_counter.reset()
    yield
    redis_counter.reset()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(THROTTLE_T0, tick=False)
    return time_machine
