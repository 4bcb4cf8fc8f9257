"""The front door (`/`, a small HTML page) and the API root (`/api`, every endpoint, browsable)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# Named routes that are not API endpoints.
_NOT_ENDPOINTS = {"front-door", "api-root", "unknown-route", "redoc-bundle"}
_NAMESPACES_SKIPPED = {"admin", "rest_framework"}
_REGEX_PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _readable_path(pattern: str) -> str:
    """`^players/(?P<username>[^/]+)/stats/?$` (or `players/<username>/stats`) ->
    `/players/{username}/stats`."""
    text = pattern.removeprefix("^").removesuffix("$").removesuffix("/?")
    text = _REGEX_PARAM.sub(r"{\1}", text)
    text = _ROUTE_PARAM.sub(r"{\1}", text)
    return "/" + text.replace("\\", "")


def _is_api_view(entry: URLPattern) -> bool:
    # Redirects and HTML pages (the old admin path, the front door) are not API endpoints.
    view = getattr(entry.callback, "view_class", None) or getattr(entry.callback, "cls", None)
    return isinstance(view, type) and issubclass(view, APIView)


def api_endpoints() -> Iterator[tuple[str, str]]:
    """(route name, path) of every API route, in URLconf order (so the list never drifts)."""

    def walk(patterns, prefix: str) -> Iterator[tuple[str, str]]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace not in _NAMESPACES_SKIPPED:
                    yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif (
                isinstance(entry, URLPattern)
                and entry.name
                and entry.name not in _NOT_ENDPOINTS
                and _is_api_view(entry)
            ):
                yield entry.name, _readable_path(prefix + str(entry.pattern))

    seen: set[str] = set()
    for name, path in walk(get_resolver().url_patterns, ""):
        if name not in seen:
            seen.add(name)
            yield name, path


class FrontDoorView(TemplateView):
    """`/`: what this is and where to go (admin, docs, API root, health)."""

    template_name = "osrs_diff/front_door.html"


class ApiRootView(APIView):
    """Every endpoint of the API. Paths with `{...}` take a value (e.g. a player's name)."""

    name = "osrs-diff API"
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        endpoints = {
            # Plain paths as absolute links (clickable in the browsable API), templates as written.
            name: path if "{" in path else request.build_absolute_uri(path)
            for name, path in api_endpoints()
        }
        return Response(
            {
                "admin": request.build_absolute_uri("/admin/"),
                "browsable_login": request.build_absolute_uri("/api-auth/login/"),
                "endpoints": endpoints,
            }
        )
