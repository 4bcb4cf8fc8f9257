"""URL helpers: every API path answers with or without a trailing slash, without redirects."""

import re

from django.urls import re_path
from django.urls.resolvers import URLPattern

_CONVERTERS = {"int": r"\d+", "str": r"[^/]+"}
_PARAM = re.compile(r"<(?:(?P<converter>int|str):)?(?P<name>\w+)>")
# Regex metacharacters in literal path parts ("chart.svg"); "-" and "/" stay readable, so the
# OpenAPI generator shows the path as written.
_META = re.compile(r"([.^$*+?{}\[\]\\|()])")


def _literal(text: str) -> str:
    return _META.sub(r"\\\1", text)


def route(pattern: str, view, name: str | None = None) -> URLPattern:
    """Like `path()` (with `<name>` and `<int:name>` parameters) plus an optional trailing slash."""
    parts, position = [], 0
    for match in _PARAM.finditer(pattern):
        parts.append(_literal(pattern[position : match.start()]))
        parts.append(f"(?P<{match['name']}>{_CONVERTERS[match['converter'] or 'str']})")
        position = match.end()
    parts.append(_literal(pattern[position:]))
    regex = "".join(parts)
    return re_path(rf"^{regex}/?$", view, name=name)
