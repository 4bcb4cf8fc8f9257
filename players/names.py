"""OSRS player names: validation of what an operator types and the normalised lookup key."""

from __future__ import annotations

import re
import unicodedata

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


# --- Free-text names shown beside each other (groups): one comparison key, no look-alikes ---

# Scripts whose letters imitate each other (Latin "o", Cyrillic "о", Greek "ο"). A word mixing two
# of them is refused: "Irоn" with a Cyrillic "о" reads as "Iron". A word of one script, or mixing
# scripts that do not imitate each other (kanji with kana, Latin with digits), is fine.
_LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC")


def name_key(text: str) -> str:
    """The comparison key of a display name: NFKC (fullwidth "Ｉ" is "I"), case folded, invisible
    format characters (zero-width spaces, joiners) dropped, whitespace runs collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    label = unicodedata.name(ch, "")
    return next((s for s in _LOOKALIKE_SCRIPTS if label.startswith(s + " ")), None)


def lookalike_words(text: str) -> list[str]:
    """The words of `text` (after NFKC) that mix look-alike scripts, such as Latin with Cyrillic."""
    words = unicodedata.normalize("NFKC", text).split()
    return [w for w in words if len({s for s in map(_script, w) if s is not None}) > 1]


def shorten(text: str, *, limit: int = 40) -> str:
    """`text` as echoed back in messages: at most `limit` characters, then "..." and its length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"
