"""The ReDoc bundle, served from the installed drf-spectacular-sidecar without its one outside
request: the "API docs by Redocly" footer logo (`https://cdn.redoc.ly/redoc/logo-mini.svg`)
becomes a transparent 1x1 image inline, so /redoc loads nothing from another host.

Read from the package once per process and kept in memory (about 1 MB); never copied into the
repository, so upgrading the sidecar upgrades ReDoc.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import drf_spectacular_sidecar
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

BUNDLE = (
    Path(drf_spectacular_sidecar.__file__).parent
    / "static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
)
# Outside resources the bundle would load, and what replaces each.
BLANK_GIF = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
REWRITES = {"https://cdn.redoc.ly/redoc/logo-mini.svg": BLANK_GIF}


@cache
def redoc_bundle() -> tuple[bytes, str]:
    """The rewritten bundle and its ETag."""
    text = BUNDLE.read_text(encoding="utf-8")
    for url, local in REWRITES.items():
        text = text.replace(url, local)
    body = text.encode("utf-8")
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


@require_safe
def redoc_bundle_view(request: HttpRequest) -> HttpResponse:
    """GET /redoc/redoc.standalone.js: the offline ReDoc bundle (JavaScript, cacheable)."""
    body, etag = redoc_bundle()
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=86400"
    return response
