"""Prometheus metrics: `GET /metrics` in the text exposition format (prometheus-client).

Two sources make one page:

* **Per-process instruments** (`osrs_diff.metrics`: HTTP requests by route and status, hiscores
  requests and latency by board, drop reports). In production every process writes them to files
  in `PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode) and `/metrics` merges every
  file under `METRICS_COLLECT_DIR` (default: the same folder), so gunicorn workers, Celery workers
  and, with a shared volume, other containers count together. Without the variable (tests,
  runserver) the process's own registry is exposed.
* **Shared state read at scrape time** (`StateCollector`): fetch outcomes (hourly counters in the
  database), snapshots stored, players, open parties, broker queue depth, hiscores circuit
  breaker and rate limiter. These are right whichever process answers the scrape.

Access: with `METRICS_TOKEN` set, `Authorization: Bearer <token>` is required; without it only
loopback and private addresses are served.
"""

from __future__ import annotations

import glob
import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from osrs_diff.http import request_client_ip

logger = logging.getLogger(__name__)


# --- Shared state, read at scrape time ----


class StateCollector:
    """Gauges and cross-process counters read from the database, Redis and the broker."""

    def collect(self) -> Iterator[Metric]:
        for part in (
            self._fetch_outcomes,
            self._snapshots,
            self._players,
            self._parties,
            self._queues,
            self._hiscores,
        ):
            try:
                yield from part()
            except Exception as exc:  # one unreadable source (database down) must not hide the rest
                logger.warning("metrics: %s unavailable: %s", part.__name__.strip("_"), exc)

    def _fetch_outcomes(self) -> Iterator[Metric]:
        from osrs_diff.system.selectors import fetch_outcome_counts

        family = CounterMetricFamily(
            "osrs_diff_fetch_outcomes",
            "Scheduled hiscores fetches by outcome (success = a snapshot was stored).",
            labels=["outcome"],
        )
        counts = fetch_outcome_counts()
        for outcome, count in counts.items():
            family.add_metric([outcome], count)
        yield family

    def _snapshots(self) -> Iterator[Metric]:
        from osrs_diff.system.selectors import snapshot_count

        rows, _estimated = snapshot_count()
        yield GaugeMetricFamily(
            "osrs_diff_snapshots_stored",
            "Snapshots in the database (planner estimate above 100,000 rows).",
            value=rows,
        )

    def _players(self) -> Iterator[Metric]:
        from osrs_diff.system.selectors import player_counts

        counts = player_counts()
        by_mode = GaugeMetricFamily(
            "osrs_diff_players", "Tracked players by game mode.", labels=["game_mode"]
        )
        for mode, count in counts["by_game_mode"].items():
            by_mode.add_metric([mode], count)
        yield by_mode
        by_state = GaugeMetricFamily(
            "osrs_diff_players_by_state",
            "Tracked players that are active, paused, flagged or missing.",
            labels=["state"],
        )
        for state in ("active", "paused", "flagged", "missing"):
            by_state.add_metric([state], counts[state])
        yield by_state

    def _parties(self) -> Iterator[Metric]:
        from osrs_diff.system.selectors import open_party_count

        yield GaugeMetricFamily(
            "osrs_diff_drop_parties_open",
            "Drop parties with a drop within the idle timeout.",
            value=open_party_count(),
        )

    def _queues(self) -> Iterator[Metric]:
        from osrs_diff.system.selectors import queue_depths

        queues = queue_depths()
        yield GaugeMetricFamily(
            "osrs_diff_broker_up",
            "1 when the broker answered the queue-depth probe, 0 when it did not.",
            value=1 if queues["available"] else 0,
        )
        depth = GaugeMetricFamily(
            "osrs_diff_queue_depth", "Messages waiting in each broker queue.", labels=["queue"]
        )
        for queue, count in queues["depth"].items():
            if count is not None:  # unknown while the broker is down: no sample, not a zero
                depth.add_metric([queue], count)
        yield depth
        oldest = GaugeMetricFamily(
            "osrs_diff_queue_oldest_age_seconds",
            "Age of the oldest message waiting in each broker queue (no sample when empty).",
            labels=["queue"],
        )
        for queue, age in (queues.get("oldest_age_seconds") or {}).items():
            if age is not None:
                oldest.add_metric([queue], age)
        yield oldest

    def _hiscores(self) -> Iterator[Metric]:
        from osrs_diff.system.selectors import hiscores_state

        state = hiscores_state()
        breaker = state["circuit_breaker"]
        family = GaugeMetricFamily(
            "osrs_diff_hiscores_breaker_state",
            "The shared hiscores circuit breaker: 1 for its current state.",
            labels=["state"],
        )
        for name in ("closed", "open", "half_open", "unknown"):
            family.add_metric([name], 1 if breaker.get("state") == name else 0)
        yield family
        yield GaugeMetricFamily(
            "osrs_diff_hiscores_breaker_failures",
            "Consecutive transient hiscores failures counted by the breaker.",
            value=breaker.get("consecutive_failures", 0),
        )
        limiter = state["rate_limiter"]
        if "estimated_wait_seconds" in limiter:
            yield GaugeMetricFamily(
                "osrs_diff_hiscores_ratelimit_wait_seconds",
                "How long a hiscores request queued now would wait for the global rate limit.",
                value=limiter["estimated_wait_seconds"],
            )


class _ProcessCollector:
    """This process's own instruments (single-process mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class _FilesCollector:
    """Every process's instruments, merged from the multiprocess files under `root`."""

    def __init__(self, root: str) -> None:
        self.root = root

    def collect(self) -> Iterator[Metric]:
        files = glob.glob(os.path.join(self.root, "**", "*.db"), recursive=True)
        return iter(MultiProcessCollector.merge(files, accumulate=True))


def build_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    collect_dir = settings.METRICS_COLLECT_DIR
    registry.register(_FilesCollector(collect_dir) if collect_dir else _ProcessCollector())
    registry.register(StateCollector())
    return registry


def exposition(accept: str = "") -> tuple[bytes, str]:
    """The whole page and its content type, in the format the scraper's Accept header asks for
    (the classic text format 0.0.4 unless it asks for OpenMetrics or text 1.0.0)."""
    encoder, content_type = choose_encoder(accept)
    return encoder(build_registry()), content_type


# --- Access ----


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry our proxies added."""
    return request_client_ip(request)


def is_internal(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


class MetricsTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <METRICS_TOKEN>`; marks the request as a metrics scraper."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, str] | None:
        token = settings.METRICS_TOKEN
        scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if not token or scheme.lower() != "bearer":
            return None
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise exceptions.AuthenticationFailed("Invalid metrics token.")
        return AnonymousUser(), SCRAPER

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="metrics"'


SCRAPER = "metrics-scraper"


class MetricsAccess(BasePermission):
    """With METRICS_TOKEN: the token (401 without). Without: internal addresses only (403)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if settings.METRICS_TOKEN:
            if request.auth != SCRAPER:
                raise exceptions.NotAuthenticated("A valid METRICS_TOKEN bearer token is required.")
            return True
        if not is_internal(client_address(request)):
            raise exceptions.PermissionDenied(
                "Metrics are served to internal addresses only (or set METRICS_TOKEN)."
            )
        return True


class _JSONErrorsNegotiation(BaseContentNegotiation):
    """The page negotiates its own format; errors are always the API's JSON error format."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class MetricsView(APIView):
    """Prometheus metrics in the text exposition format (bearer token or internal addresses)."""

    name = "Metrics"
    authentication_classes = [MetricsTokenAuthentication]
    permission_classes = [MetricsAccess]
    throttle_classes: list = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JSONErrorsNegotiation

    @extend_schema(
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="Prometheus text format 0.0.4."
            ),
            401: OpenApiResponse(description="METRICS_TOKEN is set and the token is missing."),
            403: OpenApiResponse(description="No METRICS_TOKEN and not an internal address."),
        },
        tags=["system"],
    )
    def get(self, request: Request) -> HttpResponse:
        body, content_type = exposition(request.META.get("HTTP_ACCEPT", ""))
        response = HttpResponse(body, content_type=content_type)
        response["Cache-Control"] = "no-store"
        return response
