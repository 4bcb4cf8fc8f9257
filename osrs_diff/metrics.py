"""Per-process Prometheus instruments (HTTP requests by route and status, drop reports) and the
middleware that counts requests.

In production every process writes them to files in `PROMETHEUS_MULTIPROC_DIR`
(prometheus-client's multiprocess mode); the operations app's `GET /metrics`
(`osrs_diff.system.metrics`) merges them with the shared state it reads at scrape time.
"""

from __future__ import annotations

import logging
import time

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "osrs_diff_http_requests_total",
    "HTTP requests answered, by method, route (URL pattern name) and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "osrs_diff_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Counted by drops.report.drop_report_submit() from the service's outcome (both /drops paths).
DROPS_REPORTED = Counter(
    "osrs_diff_drops_reported_total",
    "Drop reports (POST /drops) by result: accepted (stored) or ignored (duplicate).",
    ["result"],
)


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    return match.view_name or match.route or "unnamed"


class MetricsMiddleware:
    """Counts and times every request by route (bounded: the URL pattern's name, never the path)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        try:
            route = _route(request)
            labels = {"method": request.method, "route": route, "status": response.status_code}
            HTTP_REQUESTS.labels(**labels).inc()
            HTTP_LATENCY.labels(**labels).observe(time.perf_counter() - started)
        except Exception:  # metrics must never break a response
            logger.exception("could not record request metrics")
        return response
