"""HTTP helpers: the shared httpx client factory (outbound) and the client address (inbound)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from django.conf import settings


def build_http_client(
    *,
    base_url: str = "",
    timeout: httpx.Timeout | None = None,
    transport: httpx.BaseTransport | None = None,
    user_agent: str | None = None,
    max_connections: int = 20,
) -> httpx.Client:
    """A pooled client; pass `transport` in tests to answer requests in-process."""
    return httpx.Client(
        base_url=base_url,
        timeout=timeout or httpx.Timeout(10.0, connect=5.0),
        headers={"User-Agent": user_agent or settings.OSRS_HISCORES_USER_AGENT},
        transport=transport,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=10),
        follow_redirects=False,
    )


def client_ip(meta: Mapping[str, Any], *, num_proxies: int | None) -> str:
    """The client's address from request META, by DRF's `NUM_PROXIES` rule.

    With `num_proxies` set, the X-Forwarded-For entry our own proxies added (REMOTE_ADDR when
    there is none, or when 0); unset, the whole X-Forwarded-For (spaces removed) or REMOTE_ADDR.
    """
    forwarded, remote = meta.get("HTTP_X_FORWARDED_FOR"), meta.get("REMOTE_ADDR", "")
    if num_proxies is not None:
        if num_proxies == 0 or not forwarded:
            return remote
        addresses = forwarded.split(",")
        return addresses[-min(num_proxies, len(addresses))].strip()
    return "".join(forwarded.split()) if forwarded else remote


def request_client_ip(request: Any) -> str:
    """The address every throttle, the login lockout (django-axes) and /metrics count by."""
    from rest_framework.settings import api_settings

    # Read from META: building request.headers costs more than a drop throttle's count itself.
    return client_ip(request.META, num_proxies=api_settings.NUM_PROXIES or 0)
