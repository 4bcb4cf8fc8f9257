"""OpenAPI schema hooks: canonical paths and the one error format on every operation."""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every 4xx/5xx answer of the API.",
    "properties": {
        "error_code": {"type": "string", "example": "validation_error"},
        "message": {"type": "string"},
        "details": {"nullable": True, "description": "Per-field errors or context."},
        "timestamp": {"type": "string", "format": "date-time"},
        "request_id": {"type": "string", "nullable": True},
    },
    "required": ["error_code", "message", "details", "timestamp", "request_id"],
}
# What any operation may answer besides its documented successes.
ERROR_RESPONSES = {
    "400": "Invalid input (`validation_error`, `parse_error`).",
    "401": "Missing, expired or invalid credentials.",
    "403": "Not allowed: needs staff or a model permission (`permission_denied`).",
    "404": "Unknown resource.",
    "405": "Method not allowed.",
    "409": "Conflict with the current state.",
    "413": "Request body too large.",
    "415": "Unsupported content type.",
    "429": "Throttled; see Retry-After.",
    "500": "Unexpected error.",
    "502": "An upstream service answered unusably.",
    "503": "A dependency (database, broker, hiscores) is unavailable.",
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def strip_optional_trailing_slash(result, generator, request, public):
    """Routes accept an optional trailing slash; document the canonical path without it."""
    result["paths"] = {
        (path.rstrip("/") or "/"): operations for path, operations in result["paths"].items()
    }
    return result


def add_error_responses(result, generator, request, public):
    """Document the shared error body for every error status on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for operations in result["paths"].values():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                responses.setdefault(status, {"description": description, "content": content})
    return result
