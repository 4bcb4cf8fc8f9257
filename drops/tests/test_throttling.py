"""Per-IP throttle of the drop-party endpoints: atomic Redis counter, fails open without Redis."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from drops.models import Drop
from drops.throttling import parse_rate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttle_counter")]


def body(item_id: int) -> dict:
    return {"world": 444, "item_id": item_id, "item_name": "Item", "quantity": 1, "value": 10}


def test_reports_over_the_rate_get_429_with_retry_after(api_client, settings, clock):
    settings.DROPS_THROTTLE_RATE = "3/minute"
    statuses = [api_client.post("/drops", body(i), format="json").status_code for i in range(4)]

    assert statuses == [201, 201, 201, 429]
    response = api_client.post("/drops", body(9), format="json")
    assert response.status_code == 429
    assert response.json()["error_code"] == "throttled"
    assert response["Retry-After"] == "50"  # the rest of the minute window
    assert Drop.objects.count() == 3


def test_the_budget_comes_back_in_the_next_window(api_client, settings, clock):
    settings.DROPS_THROTTLE_RATE = "2/minute"
    for i in range(3):
        api_client.post("/drops", body(i), format="json")
    clock.shift(50)

    assert api_client.post("/drops", body(10), format="json").status_code == 201


def test_each_client_ip_has_its_own_budget(api_client, settings, clock):
    settings.DROPS_THROTTLE_RATE = "2/minute"
    for i in range(2):
        api_client.post("/drops", body(i), format="json", REMOTE_ADDR="10.0.0.1")

    blocked = api_client.post("/drops", body(5), format="json", REMOTE_ADDR="10.0.0.1")
    other = api_client.post("/drops", body(6), format="json", REMOTE_ADDR="10.0.0.2")

    assert (blocked.status_code, other.status_code) == (429, 201)


def test_reads_are_throttled_separately_from_reports(api_client, settings, clock):
    settings.DROPS_THROTTLE_RATE = "2/minute"
    api_client.post("/drops", body(1), format="json")
    api_client.post("/drops", body(2), format="json")

    assert api_client.get("/parties").status_code == 200
    assert api_client.get("/parties/history").status_code == 200
    assert api_client.get("/parties").status_code == 429
    assert api_client.post("/drops", body(3), format="json").status_code == 429


def test_the_default_rate_lets_a_busy_party_through(api_client, settings, clock):
    assert settings.DROPS_THROTTLE_RATE == "600/minute"
    statuses = {api_client.post("/drops", body(i), format="json").status_code for i in range(120)}

    assert statuses == {201}


def test_it_fails_open_when_redis_is_unreachable(api_client, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.DROPS_THROTTLE_RATE = "1/minute"

    with caplog.at_level(logging.WARNING, logger="drops.throttling"):
        statuses = [api_client.post("/drops", body(i), format="json").status_code for i in range(5)]
        reads = api_client.get("/parties").status_code

    assert statuses == [201] * 5
    assert reads == 200
    warnings = [r for r in caplog.records if r.name == "drops.throttling"]
    # One warning, then Redis is left alone for a while instead of timing out on every request.
    assert len(warnings) == 1
    assert "Redis unavailable" in warnings[0].getMessage()


def test_without_redis_the_local_cache_counts(api_client, settings, clock):
    settings.REDIS_URL = None
    settings.DROPS_THROTTLE_RATE = "2/minute"
    statuses = [api_client.post("/drops", body(i), format="json").status_code for i in range(3)]

    assert statuses == [201, 201, 429]


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("600/minute", (600, 60)),
        ("10/s", (10, 1)),
        ("10/sec", (10, 1)),
        ("1000/hour", (1000, 3600)),
        ("5/day", (5, 86400)),
        ("5/15m", (5, 900)),
        (" 7 / minutes ", (7, 60)),
    ],
)
def test_rates_parse(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "600", "600/fortnight", "-1/minute", "abc/minute"])
def test_bad_rates_are_refused(rate):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(rate)


def test_a_bad_rate_fails_the_system_check(settings):
    settings.DROPS_THROTTLE_RATE = "lots"

    assert "drops.E001" in [error.id for error in run_checks()]


def test_a_hung_redis_costs_one_short_timeout_not_one_per_request(api_client, settings):
    # A server that accepts connections and never answers: each command would wait for the
    # socket timeout. Only the first request pays it; the rest skip Redis for a few seconds.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        settings.REDIS_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        started = time.monotonic()
        statuses = [api_client.post("/drops", body(i), format="json").status_code for i in range(5)]
        elapsed = time.monotonic() - started

    assert statuses == [201] * 5
    assert elapsed < 2.0
