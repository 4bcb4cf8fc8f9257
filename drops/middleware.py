"""`POST /drops` without the DRF request machinery: the hot path of the drop-party server.

Every game client posts every valuable drop it sees, so this one endpoint carries nearly all the
traffic, and DRF's view machinery (request wrapping, authenticators, negotiation, a serializer
that deep-copies its fields) cost more CPU than the drop report itself. This middleware sits right
after the request id, metrics and security middleware and answers the plain case itself: a
`POST /drops` (or `/drops/`) with a JSON body, no credentials, cookies or query string, and an
Accept header that can only mean JSON. Anything else goes down the stack to the DRF view
(`drops.views.DropReportView`), which stays the reference implementation and the source of the
OpenAPI schema.

The answers are the view's, by construction: the same throttle (counted before the body is read,
as DRF does), DRF's own JSON parser, serializer, exception handler and renderer for every error,
the same `drops.report.drop_report_submit()` behind both (record, count, answer), and the headers
the skipped middleware and DRF would add.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, resolve
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer

from drops.report import DROP_REPORT_ROUTE, DROP_REPORT_THROTTLE_SCOPE, drop_report_submit
from drops.serializers import DropReportSerializer, drop_report_quick_validate
from drops.throttling import DropsRateThrottle, throttle_wait
from osrs_diff.exceptions import api_exception_handler
from osrs_diff.parsers import JSONParser

_PATHS = frozenset({"/drops", "/drops/"})
# What DRF's JSON parser and only-JSON renderer accept without negotiating anything.
_CONTENT_TYPES = frozenset(
    {"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"}
)
_ACCEPTS = frozenset({"", "*/*", "application/json"})
# DRF adds Allow to every answer of the view; reading request.user (SessionAuthentication)
# touches the session, so SessionMiddleware adds Vary: Cookie.
_VIEW_HEADERS = {"Allow": "POST, OPTIONS", "Vary": "Cookie"}

_renderer = JSONRenderer()
_throttle = DropsRateThrottle()


def _reject_constant(name: str) -> None:
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


class DropReportMiddleware:
    """Answers plain `POST /drops` requests itself; everything else continues down the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._match: ResolverMatch | None | bool = False  # False: not resolved yet

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if (
            request.method != "POST"
            or request.path_info not in _PATHS
            or settings.DROPS_REQUIRE_AUTH
            # Credentials (valid or not) and cookies (a session, CSRF) are DRF's business.
            or meta.get("HTTP_AUTHORIZATION")
            or meta.get("HTTP_COOKIE")
            or meta.get("QUERY_STRING")  # ?format= and friends
            or meta.get("CONTENT_TYPE", "").lower() not in _CONTENT_TYPES
            or meta.get("HTTP_ACCEPT", "") not in _ACCEPTS
            or meta.get("CONTENT_LENGTH", "0") in ("", "0")  # DRF reads no body: {} is the data
        ):
            return self.get_response(request)
        match = self._resolver_match()
        if match is None:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it
        # Metrics label requests by route name, as for a resolved view.
        request.resolver_match = match
        try:
            status_code, body = self._report(request)
            response = HttpResponse(
                _renderer.render(body), status=status_code, content_type="application/json"
            )
        except Exception as exc:
            response = self._error(exc)
        for header, value in _VIEW_HEADERS.items():
            response[header] = value
        response["X-Frame-Options"] = settings.X_FRAME_OPTIONS.upper()
        response["Content-Length"] = str(len(response.content))
        return response

    def _resolver_match(self) -> ResolverMatch | None:
        # Only while /drops is still routed to the drop report view.
        if self._match is False:
            try:
                match = resolve("/drops")
            except Resolver404:
                match = None
            self._match = (
                match if match is not None and match.url_name == DROP_REPORT_ROUTE else None
            )
        return self._match

    @staticmethod
    def _report(request: HttpRequest) -> tuple[int, dict]:
        ident = _throttle.get_ident(request)
        wait = throttle_wait(scope=DROP_REPORT_THROTTLE_SCOPE, ident=ident)
        if wait is not None:
            raise Throttled(wait)
        data = _parse(request.body)
        fields = drop_report_quick_validate(data)
        if fields is None:
            serializer = DropReportSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            fields = serializer.validated_data
        return drop_report_submit(**fields)

    def _error(self, exc: Exception) -> HttpResponse:
        # The handler logs unexpected errors with the class of context["view"]: this middleware.
        answer = api_exception_handler(exc, {"view": self})
        response = HttpResponse(
            _renderer.render(answer.data),
            status=answer.status_code,
            content_type="application/json",
        )
        for header in ("Retry-After", "WWW-Authenticate"):
            if header in answer:
                response[header] = answer[header]
        return response


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        # DRF's parser decides what is an error, and words it, exactly as in the DRF path.
        return JSONParser().parse(io.BytesIO(body), "application/json", {"encoding": "utf-8"})
