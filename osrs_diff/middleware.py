"""Request id, access log and body-size guard for every request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from osrs_diff.context import request_id_var
from osrs_diff.exceptions import error_json_response

access_logger = logging.getLogger("osrs_diff.access")

# A client-supplied id is echoed only when it is a sane token (no log or header injection).
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    """Tags the request with an id (echoed or generated) and logs one line when it ends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # META, not request.headers: building the headers mapping costs more than the lookup.
        supplied = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = supplied if _VALID_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = (
                self._guard_body_size(request)
                or self._guard_nul_characters(request)
                or self.get_response(request)
            )
            response["X-Request-ID"] = request_id
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _guard_nul_characters(request: HttpRequest) -> HttpResponse | None:
        # No stored text may contain NUL (PostgreSQL rejects it): refuse it in the path and query
        # up front instead of letting a lookup fail deep in the database driver.
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return error_json_response(
                400, "bad_request", "NUL characters are not allowed in the path or query."
            )
        return None

    @staticmethod
    def _guard_body_size(request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_json_response(400, "bad_request", "Invalid Content-Length header.")
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return error_json_response(
                413,
                "payload_too_large",
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            )
        return None
