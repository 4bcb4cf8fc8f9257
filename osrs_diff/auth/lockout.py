"""One login throttle for every way to log in (django-axes).

`/auth/login`, `/admin/login/` and `/api-auth/login/` all go through `django.contrib.auth
.authenticate()`, which django-axes hooks: failures are counted in the database per client
address and per username (one counter, whichever form was used), and a locked-out client gets
429 `throttled` in the API's error format, with `Retry-After`, wherever it logs in.
The client address is `osrs_diff.http.request_client_ip`, the rule the drop throttles use.
"""

from __future__ import annotations

import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import Throttled

from osrs_diff.exceptions import error_json_response

LOCKED_OUT_MESSAGE = "Too many failed login attempts; try again later."


class AxesBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins that come with a request (every web login).

    Calls without a request (management commands, the test client's `login()`) are not web
    logins: they skip the check instead of failing.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def retry_after_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds())) if cool_off else 3600


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the session logins' lockout, in the API's error format."""
    wait = retry_after_seconds(request)
    # The shape of every other 429 of the API (DRF's Throttled through the exception handler).
    response = error_json_response(
        429, "throttled", f"{LOCKED_OUT_MESSAGE} Expected available in {wait} seconds."
    )
    response["Retry-After"] = str(wait)
    return response


def locked_out(request: Any) -> Throttled | None:
    """The 429 for a JSON login axes has just refused (DRF requests bypass axes' middleware)."""
    if not getattr(request, "axes_locked_out", False):
        return None
    return Throttled(wait=retry_after_seconds(request), detail=LOCKED_OUT_MESSAGE)
