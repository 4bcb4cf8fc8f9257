"""OpenAPI schema hooks."""


def strip_optional_trailing_slash(result, generator, request, public):
    """Routes accept an optional trailing slash; document the canonical path without it."""
    result["paths"] = {
        (path.rstrip("/") or "/"): operations for path, operations in result["paths"].items()
    }
    return result
