"""The adaptive-interval rule, table-driven."""

import pytest

from players.intervals import AdaptiveRule, IntervalState, next_interval

RULE = AdaptiveRule(enabled=True, after_unchanged=3, max_minutes=1440)


def run(configured: int, outcomes: str, rule: AdaptiveRule = RULE) -> list[int]:
    """Effective interval after each fetch; outcomes: 'u' unchanged, 'p' progressed."""
    state = IntervalState(effective_minutes=configured, unchanged_fetches=0)
    seen = []
    for outcome in outcomes:
        state = next_interval(
            configured=configured, current=state, progressed=outcome == "p", rule=rule
        )
        seen.append(state.effective_minutes)
    return seen


@pytest.mark.parametrize(
    ("configured", "outcomes", "expected"),
    [
        (5, "uu", [5, 5]),
        (5, "uuu", [5, 5, 10]),
        (5, "uuuuuu", [5, 5, 10, 10, 10, 20]),
        (5, "uuup", [5, 5, 10, 5]),
        (5, "uupuuu", [5, 5, 5, 5, 5, 10]),
        (720, "uuuuuuuuu", [720, 720, 1440, 1440, 1440, 1440, 1440, 1440, 1440]),
        # The ceiling is never below the configured interval.
        (2880, "uuuuuu", [2880] * 6),
        (1000, "uuu", [1000, 1000, 1440]),
    ],
)
def test_it_doubles_after_the_streak_and_resets_on_progress(configured, outcomes, expected):
    assert run(configured, outcomes) == expected


def test_it_reaches_the_ceiling_and_stays_there():
    assert run(5, "u" * 60)[-1] == 1440


def test_off_means_the_configured_interval_always():
    off = AdaptiveRule(enabled=False, after_unchanged=3, max_minutes=1440)
    assert run(5, "uuuuuuuuu", off) == [5] * 9


def test_an_interval_raised_by_the_operator_is_the_new_floor():
    state = IntervalState(effective_minutes=10, unchanged_fetches=2)
    after = next_interval(configured=60, current=state, progressed=False, rule=RULE)
    assert after == IntervalState(effective_minutes=120, unchanged_fetches=0)
