"""The client's address, one rule for every throttle and for the login lockout (django-axes).

DRF's rule: with `DJANGO_NUM_PROXIES` (REST_FRAMEWORK["NUM_PROXIES"]) trusted proxies in front,
the address is the one that many hops from the right of X-Forwarded-For; with 0, REMOTE_ADDR
(X-Forwarded-For is ignored, a client could write anything in it).
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings


def client_ip(request: Request | HttpRequest) -> str | None:
    """The address throttles and lockouts count by."""
    # Read from META: building request.headers costs more than a drop throttle's count itself.
    meta = request.META
    forwarded, remote = meta.get("HTTP_X_FORWARDED_FOR"), meta.get("REMOTE_ADDR")
    proxies = api_settings.NUM_PROXIES
    if proxies is not None:
        if proxies == 0 or forwarded is None:
            return remote
        addresses = forwarded.split(",")
        return addresses[-min(proxies, len(addresses))].strip()
    return "".join(forwarded.split()) if forwarded else remote
