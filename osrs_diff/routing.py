"""URL helpers: every API path answers with or without a trailing slash, without redirects."""

import re

from django.urls import re_path
from django.urls.resolvers import URLPattern

_CONVERTERS = {"int": r"\d+", "str": r"[^/]+"}
_PARAM = re.compile(r"<(?:(?P<converter>int|str):)?(?P<name>\w+)>")


def route(pattern: str, view, name: str | None = None) -> URLPattern:
    """Like `path()` (with `<name>` and `<int:name>` parameters) plus an optional trailing slash."""
    regex = _PARAM.sub(
        lambda m: f"(?P<{m['name']}>{_CONVERTERS[m['converter'] or 'str']})", pattern
    )
    return re_path(rf"^{regex}/?$", view, name=name)
