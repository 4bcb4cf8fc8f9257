"""The one lenient JSON decoder for text we stored ourselves (task results, task args, state).

Stored text can be empty or, after a manual edit or a crash, not JSON at all; readers must not
fail on it. `loads_lenient()` says what to return in each case.
"""

from __future__ import annotations

import json
from typing import Any

RAW: Any = object()  # as `invalid=`: return the undecodable text itself


def loads_lenient(text: str | bytes | None, *, empty: Any = None, invalid: Any = None) -> Any:
    """The decoded value; `empty` for None/""; `invalid` (or the text itself, `RAW`) if not JSON."""
    if not text:
        return empty
    try:
        return json.loads(text)
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        return text if invalid is RAW else invalid
