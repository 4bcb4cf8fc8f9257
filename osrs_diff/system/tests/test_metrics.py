"""GET /metrics: access rules, the named series, and counting across processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from hiscores.integration.results import Board
from hiscores.tasks import fetch_player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- Access ----


def test_without_a_token_internal_addresses_are_served(client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_without_a_token_public_addresses_are_refused(client, settings):
    response = client.get("/metrics", REMOTE_ADDR="93.184.216.34")
    assert response.status_code == 403
    assert response.json()["error_code"] == "permission_denied"

    # Behind a proxy the client's address is the one the proxy forwarded.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    forwarded = client.get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="93.184.216.34")
    assert forwarded.status_code == 403


def test_with_a_token_the_bearer_token_is_required(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"

    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.json()["error_code"] == "not_authenticated"
    assert missing["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    ok = client.get(
        "/metrics", REMOTE_ADDR="93.184.216.34", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    assert ok.status_code == 200


def test_a_user_jwt_is_not_a_metrics_token(auth_client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert auth_client.get("/metrics").status_code == 401


# --- Series ----


def test_it_exposes_the_named_series(client):
    client.get("/health")
    text = client.get("/metrics").content.decode()

    for name, kind in (
        ("osrs_diff_http_requests_total", "counter"),
        ("osrs_diff_http_request_duration_seconds", "histogram"),
        ("osrs_diff_hiscores_requests_total", "counter"),
        ("osrs_diff_hiscores_request_seconds", "histogram"),
        ("osrs_diff_fetch_outcomes_total", "counter"),
        ("osrs_diff_snapshots_stored", "gauge"),
        ("osrs_diff_players", "gauge"),
        ("osrs_diff_hiscores_breaker_state", "gauge"),
        ("osrs_diff_hiscores_ratelimit_wait_seconds", "gauge"),
        ("osrs_diff_queue_depth", "gauge"),
        ("osrs_diff_broker_up", "gauge"),
        ("osrs_diff_drops_reported_total", "counter"),
        ("osrs_diff_drop_parties_open", "gauge"),
    ):
        assert f"# TYPE {name} {kind}\n" in text, name

    samples = parse(text)
    assert value(samples, "osrs_diff_hiscores_breaker_state", state="closed") == 1
    assert value(samples, "osrs_diff_queue_depth", queue="celery") == 0
    assert value(samples, "osrs_diff_broker_up") == 1


def test_requests_are_counted_by_route_and_status(client):
    before = scrape(client)
    client.get("/health")
    client.get("/health/")
    client.get("/no/such/route")
    after = scrape(client)

    def delta(**labels):
        name = "osrs_diff_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(method="GET", route="health", status="200") == 2
    assert delta(method="GET", route="unknown-route", status="404") == 1
    assert (
        value(
            after,
            "osrs_diff_http_request_duration_seconds_count",
            method="GET",
            route="health",
            status="200",
        )
        >= 2
    )


def test_a_fetch_is_counted(client, fake_hiscores):
    player = PlayerFactory(username="Lynx Titan")
    fake_hiscores.add_player("Lynx Titan", stats={"attack": 13_034_431})
    board = Board.REGULAR.value
    before = scrape(client)

    result = fetch_player.run(player_id=player.pk)
    repeat = fetch_player.run(player_id=player.pk)

    after = scrape(client)
    assert (result["status"], repeat["status"]) == ("success", "unchanged")
    assert value(after, "osrs_diff_fetch_outcomes_total", outcome="success") == 1
    assert value(after, "osrs_diff_fetch_outcomes_total", outcome="unchanged") == 1
    assert value(after, "osrs_diff_snapshots_stored") == 1
    name = "osrs_diff_hiscores_requests_total"
    assert (
        value(after, name, board=board, outcome="ok")
        - value(before, name, board=board, outcome="ok")
        == 2
    )
    name = "osrs_diff_hiscores_request_seconds_count"
    assert value(after, name, board=board) - value(before, name, board=board) == 2


def test_a_fetch_that_gives_up_counts_as_unavailable(client, fake_hiscores, settings):
    settings.OSRS_HISCORES_RETRY_DELAYS = []
    player = PlayerFactory(username="Zezima")
    fake_hiscores.add_player("Zezima", stats={"attack": 1000})
    fake_hiscores.set_failures(1.0, ["503"])
    from hiscores.integration.shared import reset_client

    reset_client()
    fetch_player.push_request(retries=fetch_player.max_retries)
    try:
        assert fetch_player.run(player_id=player.pk)["status"] == "unavailable"
    finally:
        fetch_player.pop_request()

    assert value(scrape(client), "osrs_diff_fetch_outcomes_total", outcome="unavailable") == 1


def test_drop_reports_are_counted_as_accepted_or_ignored(client, api_client):
    name = "osrs_diff_drops_reported_total"
    before = scrape(client)
    drop = {"world": 444, "item_id": 1319, "item_name": "Rune 2h sword", "quantity": 1, "value": 1}
    assert api_client.post("/drops", drop, format="json").status_code == 201
    assert api_client.post("/drops", drop, format="json").status_code == 200  # duplicate
    after = scrape(client)

    assert value(after, name, result="accepted") - value(before, name, result="accepted") == 1
    assert value(after, name, result="ignored") - value(before, name, result="ignored") == 1
    assert value(after, "osrs_diff_drop_parties_open") == 1


# --- Across processes ----

_WORKER = textwrap.dedent(
    """
    import django
    django.setup()
    from hiscores.integration.client import REQUESTS, LATENCY
    from osrs_diff.metrics import HTTP_REQUESTS
    REQUESTS.labels(board="hiscore_oldschool", outcome="ok").inc({n})
    LATENCY.labels(board="hiscore_oldschool").observe(0.2)
    HTTP_REQUESTS.labels(method="GET", route="health", status="200").inc({n})
    """
)


def test_multiprocess_files_of_every_process_are_merged(client, settings, tmp_path):
    """Celery workers and gunicorn workers (one folder per container) count together."""
    processes = []
    for folder, n in (("web-1", 2), ("worker-1", 5)):
        env = {
            **os.environ,
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / folder),
            "DJANGO_SETTINGS_MODULE": "osrs_diff.settings",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", _WORKER.format(n=n)],
                env=env,
                cwd=django_settings.BASE_DIR,
            )
        )
    assert [process.wait(timeout=60) for process in processes] == [0, 0]
    settings.METRICS_COLLECT_DIR = str(tmp_path)

    samples = scrape(client)

    assert (
        value(samples, "osrs_diff_hiscores_requests_total", board="hiscore_oldschool", outcome="ok")
        == 7
    )
    assert (
        value(samples, "osrs_diff_hiscores_request_seconds_count", board="hiscore_oldschool") == 2
    )
    assert (
        value(samples, "osrs_diff_http_requests_total", method="GET", route="health", status="200")
        == 7
    )
    # The shared state still comes from the database and Redis.
    assert value(samples, "osrs_diff_hiscores_breaker_state", state="closed") == 1
