"""OSRS player names: validation of what an operator types and the normalised lookup key."""

from __future__ import annotations

import re

from osrs_diff.exceptions import ValidationFailed

MAX_LENGTH = 12
_ALLOWED = re.compile(r"[A-Za-z0-9 _-]+")
_SEPARATORS = re.compile(r"[\s_-]+")


def normalise_username(name: str) -> str:
    """The lookup key: lower case, `_` and `-` read as space, runs collapsed, trimmed."""
    return _SEPARATORS.sub(" ", name.lower()).strip()


def validate_username(raw: object) -> str:
    """Return the display name (outer whitespace trimmed) or raise saying which rule failed."""
    if not isinstance(raw, str):
        _fail("Username must be a string.")
    name = raw.strip()
    if not 1 <= len(name) <= MAX_LENGTH:
        _fail(f"Username must be 1 to {MAX_LENGTH} characters long (got {len(name)}).")
    if not _ALLOWED.fullmatch(name):
        bad = sorted({ch for ch in name if not _ALLOWED.fullmatch(ch)})
        _fail(
            "Username may only contain letters, digits, spaces, '_' and '-' "
            f"(not {' '.join(repr(ch) for ch in bad)})."
        )
    if not normalise_username(name):
        _fail("Username must contain at least one letter or digit.")
    return name


def _fail(message: str) -> None:
    raise ValidationFailed(message, details={"username": [message]})
