"""Shared httpx client factory: explicit timeouts and a descriptive User-Agent."""

from __future__ import annotations

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
