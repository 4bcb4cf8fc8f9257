"""Name normalisation (the lookup key) and the OSRS name rules."""

import pytest

from osrs_diff.exceptions import ValidationFailed
from players.names import normalise_username, validate_username


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Lynx_Titan", "lynx titan"),
        ("lynx titan", "lynx titan"),
        ("LYNX-TITAN", "lynx titan"),
        ("  Lynx   Titan ", "lynx titan"),
        ("a_-_b", "a b"),
        ("Zezima", "zezima"),
    ],
)
def test_normalise_username(raw, key):
    assert normalise_username(raw) == key


@pytest.mark.parametrize("raw", ["Zezima", "Lynx_Titan", "x", "abcdefghijkl", "A-1 b_2", " Pad "])
def test_valid_names_are_kept_as_typed(raw):
    assert validate_username(raw) == raw.strip()


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "1 to 12 characters"),
        ("   ", "1 to 12 characters"),
        ("abcdefghijklm", "1 to 12 characters"),
        ("zez!ma", "letters, digits, spaces"),
        ("Zézima", "letters, digits, spaces"),
        ("a.b", "letters, digits, spaces"),
        ("_-_", "at least one letter or digit"),
        (12, "must be a string"),
    ],
)
def test_invalid_names_say_which_rule_failed(raw, rule):
    with pytest.raises(ValidationFailed) as info:
        validate_username(raw)
    assert rule in info.value.message
    assert info.value.details == {"username": [info.value.message]}
