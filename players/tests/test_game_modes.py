"""The detection truth table and the one-way transition rule (pure functions)."""

import pytest

from players.game_modes import (
    UNRANKED,
    GameMode,
    Outcome,
    detect_game_mode,
    next_board,
    resolve_transition,
)

R, I, H, U = GameMode.REGULAR, GameMode.IRONMAN, GameMode.HARDCORE, GameMode.ULTIMATE  # noqa: E741


@pytest.mark.parametrize(
    ("readings", "current", "expected"),
    [
        # every mode
        ({R: 1000, I: None}, None, R),
        ({R: 1000, I: 1000, H: None, U: None}, None, I),
        ({R: 1000, I: 1000, H: 1000}, None, H),
        ({R: 1000, I: 1000, H: None, U: 1000}, None, U),
        # dead hardcore: its hardcore entry froze below the ironman XP
        ({R: 5000, I: 5000, H: 3000}, H, I),
        ({R: 5000, I: 5000, H: 3000, U: None}, None, I),
        # ultimate downgraded to ironman: the ultimate entry froze
        ({R: 5000, I: 5000, U: 4000}, U, I),
        # de-ironed: the regular board moved on past the frozen iron entry
        ({R: 9000, I: 5000}, I, R),
        ({R: 9000, I: 5000}, H, R),
        ({R: 9000, I: 5000}, U, R),
        ({R: 9000, I: 5000, H: 5000}, None, R),
        # ties go to the more restricted mode
        ({R: 5000, I: 5000, H: None, U: None}, None, I),
        ({R: 5000, I: 5000, H: 5000}, None, H),
        ({R: 5000, I: 5000, H: 4999, U: 5000}, None, U),
        # unranked Overall counts as the lowest reading, but the board still knows the player
        ({R: UNRANKED, I: UNRANKED, H: UNRANKED}, None, H),
        ({R: None, I: 800, H: None, U: None}, None, I),  # unranked on the big board only
        # no board knows the name
        ({R: None, I: None}, None, None),
        ({R: None, I: None}, H, None),
        # unexpected 404 on a board the known mode must be on: not definite
        ({R: 5000, I: None}, I, None),
        ({R: 5000, I: 5000, H: None}, H, None),
        ({R: 5000, I: 5000, U: None}, U, None),
    ],
)
def test_detection_truth_table(readings, current, expected):
    assert detect_game_mode(readings, current=current) == expected


@pytest.mark.parametrize(
    ("readings", "current", "expected"),
    [
        ({}, None, R),
        ({R: 10}, None, I),
        ({R: 10, I: None}, None, None),  # not an iron: done after two requests
        ({R: 20, I: 10}, None, None),  # de-ironed: no need to ask the restricted boards
        ({R: 10, I: 10}, None, H),
        ({R: 10, I: 10, H: 10}, None, None),
        ({R: 10, I: 10, H: 5}, None, U),
        ({R: 10, I: 10, H: None}, None, U),
        ({R: 10, I: 10, H: None, U: None}, None, None),
        # a known ironman can never become hardcore/ultimate: those boards are not asked
        ({R: 10, I: 10}, I, None),
        ({R: 10, I: 10}, H, H),
        ({R: 10, I: 10, H: 5}, H, None),
        ({R: 10, I: 10}, U, U),
    ],
)
def test_next_board_asks_only_what_is_needed(readings, current, expected):
    assert next_board(readings, current=current) == expected


@pytest.mark.parametrize(
    ("current", "detected", "outcome", "mode"),
    [
        (H, I, Outcome.CHANGED, I),
        (H, R, Outcome.CHANGED, R),
        (U, I, Outcome.CHANGED, I),
        (U, R, Outcome.CHANGED, R),
        (I, R, Outcome.CHANGED, R),
        (R, R, Outcome.UNCHANGED, R),
        (H, H, Outcome.UNCHANGED, H),
        # upward or sideways moves are refused: the mode stays
        (R, I, Outcome.REFUSED, R),
        (R, H, Outcome.REFUSED, R),
        (R, U, Outcome.REFUSED, R),
        (I, H, Outcome.REFUSED, I),
        (I, U, Outcome.REFUSED, I),
        (H, U, Outcome.REFUSED, H),
        (U, H, Outcome.REFUSED, U),
        # transient error / unexpected 404: nothing definite, nothing changes
        (H, None, Outcome.INCONCLUSIVE, H),
        (I, None, Outcome.INCONCLUSIVE, I),
    ],
)
def test_transitions_only_go_down(current, detected, outcome, mode):
    transition = resolve_transition(current, detected)
    assert transition.outcome is outcome
    assert transition.mode == mode
    assert transition.changed is (outcome is Outcome.CHANGED)
