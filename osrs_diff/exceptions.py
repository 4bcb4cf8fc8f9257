"""Domain errors and the one error format of the API.

Every 4xx/5xx response is `{"error_code", "message", "details", "timestamp", "request_id"}`.
Services raise `ServiceError` subclasses; DRF's exceptions and Django's 404/500 handlers are
translated here, so views never build error bodies by hand.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils import timezone
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

from osrs_diff.context import current_request_id

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A domain error with its HTTP status and stable error code."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    error_code: str = "bad_request"
    default_message: str = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        error_code: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        if error_code:
            self.error_code = error_code
        super().__init__(self.message)


class ValidationFailed(ServiceError):
    status_code = status.HTTP_400_BAD_REQUEST
    error_code = "validation_error"
    default_message = "Invalid input."


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND
    error_code = "not_found"
    default_message = "Not found."


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT
    error_code = "conflict"
    default_message = "The resource already exists."


class UpstreamUnavailable(ServiceError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    error_code = "upstream_unavailable"
    default_message = "An upstream service is unavailable; try again later."


class BadGateway(ServiceError):
    status_code = status.HTTP_502_BAD_GATEWAY
    error_code = "bad_gateway"
    default_message = "An upstream service answered with something unusable."


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {
        "error_code": code,
        "message": message,
        "details": details,
        "timestamp": timezone.now().isoformat(),
        "request_id": current_request_id(),
    }


def error_json_response(
    status_code: int, code: str, message: str, details: Any = None
) -> JsonResponse:
    """The error format for plain Django views and middleware (outside DRF)."""
    return JsonResponse(error_body(code, message, details), status=status_code)


# DRF exception class -> our error code; anything else uses the exception's default_code.
_DRF_CODES: dict[type, str] = {
    drf_exceptions.ValidationError: "validation_error",
    drf_exceptions.ParseError: "parse_error",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "throttled",
}


def _drf_code(exc: drf_exceptions.APIException) -> str:
    for klass in type(exc).__mro__:
        if klass in _DRF_CODES:
            # simplejwt's InvalidToken subclasses AuthenticationFailed with its own code.
            if klass is drf_exceptions.AuthenticationFailed and exc.default_code not in (
                "authentication_failed",
                None,
            ):
                return str(exc.default_code)
            return _DRF_CODES[klass]
    return str(getattr(exc, "default_code", "error"))


def _drf_message_and_details(exc: drf_exceptions.APIException) -> tuple[str, Any]:
    detail = exc.detail
    if isinstance(exc, drf_exceptions.ValidationError):
        if isinstance(detail, list):
            detail = {"non_field_errors": detail}
        return _validation_message(detail), detail
    if isinstance(detail, dict):
        message = str(detail.get("detail") or detail.get("message") or "Request failed.")
        extra = {k: v for k, v in detail.items() if k not in ("detail", "message")}
        return message, extra or None
    if isinstance(detail, list):
        return "; ".join(str(item) for item in detail), None
    return str(detail), None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every error leaves the API in one format."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )

    if isinstance(exc, ServiceError):
        # A 503 that knows when to come back says so (e.g. a full hiscores politeness queue).
        retry_after = getattr(exc, "retry_after", None)
        if exc.status_code == status.HTTP_503_SERVICE_UNAVAILABLE and retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        return Response(
            error_body(exc.error_code, exc.message, exc.details),
            status=exc.status_code,
            headers=headers,
        )
    if isinstance(exc, drf_exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait) + (exc.wait % 1 > 0))
        message, details = _drf_message_and_details(exc)
        return Response(
            error_body(_drf_code(exc), message, details), status=exc.status_code, headers=headers
        )
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unavailable: %s", exc.__class__.__name__)
        return Response(
            error_body("database_unavailable", "The database is unavailable; try again shortly."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
    else:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
    return Response(
        error_body("internal_error", "An unexpected error occurred."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


# Django's handlers for requests that never reach a DRF view (unknown URLs, admin, middleware).
def handler400(request, exception=None):
    return error_json_response(400, "bad_request", "Bad request.")


def handler403(request, exception=None):
    return error_json_response(403, "permission_denied", "Permission denied.")


def handler404(request, exception=None):
    return error_json_response(404, "not_found", f"No route matches {request.path}.")


def handler500(request):
    return error_json_response(500, "internal_error", "An unexpected error occurred.")


def _validation_message(detail: Any) -> str:
    """ "Invalid input: <the first problem>", so a client that shows only the message still
    tells its user what to fix; `details` keeps every problem by field."""
    path: list[str] = []
    while isinstance(detail, dict | list) and detail:
        if isinstance(detail, dict):
            key = next(iter(detail))
            if key != "non_field_errors":
                path.append(str(key))
            detail = detail[key]
        else:
            detail = detail[0]
    if not detail or isinstance(detail, dict | list):
        return "Invalid input."
    where = f"{'.'.join(path)}: " if path else ""
    return f"Invalid input: {where}{detail}"
