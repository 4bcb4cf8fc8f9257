"""PUBLIC_READ: anonymous GETs of player, history and party routes, generated from the same route
table as test_permission_matrix.py. Writes never become public, nor /system, /metrics, /auth/me,
task status or schedules."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from osrs_diff.permissions import PUBLIC_READ_ROUTES
from osrs_diff.tests.test_permission_matrix import MATRIX, PARAMS, READ, _path, _routes

# What the issue makes public (said again here, so a route added to PUBLIC_READ_ROUTES by mistake
# fails): players, stats, overview, history, leaderboards, charts; parties through the drops gate.
PUBLIC = {
    "player-list",
    "player-detail",
    "players-stats",
    "player-stats",
    "player-snapshots",
    "player-overview",
    "player-history",
    "player-history-skill",
    "player-history-boss",
    "player-history-activity",
    "player-history-chart",
    "history-leaderboard",
    # Issue 19: groups with their gains and stats, competitions with their standings and chart
    # (views over the players and their snapshots, like the leaderboard).
    "group-list",
    "group-detail",
    "group-gains",
    "group-stats",
    "competition-list",
    "competition-detail",
    "competition-chart",
}
PARTY_READS = {"party-list-active", "party-history", "party-detail"}
NEVER = {"auth-me", "task-status", "system-task-list", "system-stats", "metrics", "schedule-list"}


def _anonymous_cases():
    for name, regex, _view in _routes():
        entry = MATRIX.get(name)
        if not isinstance(entry, dict):
            continue
        for method, outcomes in sorted(entry.items()):
            if outcomes[0] == "ok":
                continue  # open to anyone already (health, docs, login, drop reports)
            public = method == "GET" and name in PUBLIC
            yield pytest.param(name, regex, method, public, id=f"{name}-{method}")


def test_the_public_routes_are_the_issues_list():
    assert set(PUBLIC_READ_ROUTES) == PUBLIC
    read_routes = {
        name
        for name, entry in MATRIX.items()
        if isinstance(entry, dict) and entry.get("GET") == READ
    }
    assert read_routes >= PUBLIC, "only routes the matrix marks READ can become public"
    assert not PUBLIC & NEVER


@pytest.fixture
def public_read(settings):
    settings.PUBLIC_READ = True
    settings.PUBLIC_READ_THROTTLE_RATE = "100000/minute"
    settings.METRICS_TOKEN = "scraper-secret"


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "regex", "method", "public"), list(_anonymous_cases()))
def test_anonymous_access_with_public_read_on(name, regex, method, public, public_read):
    PARAMS.setdefault("task_id", "00000000-0000-0000-0000-000000000000")
    response = getattr(APIClient(), method.lower())(_path(regex), {}, format="json")
    assert response.status_code < 500
    if public:
        assert response.status_code not in (401, 403), (name, response.content[:200])
    else:
        assert response.status_code == 401, (name, method, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "regex", "method", "public"), list(_anonymous_cases()))
def test_anonymous_access_with_public_read_off(name, regex, method, public, settings):
    settings.PUBLIC_READ = False
    settings.METRICS_TOKEN = "scraper-secret"
    PARAMS.setdefault("task_id", "00000000-0000-0000-0000-000000000000")
    response = getattr(APIClient(), method.lower())(_path(regex), {}, format="json")
    assert response.status_code == 401, (name, method, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("drops_require_auth", [False, True])
def test_party_reads_are_public_and_party_writes_follow_drops_require_auth(
    drops_require_auth, public_read, settings
):
    settings.DROPS_REQUIRE_AUTH = drops_require_auth
    client = APIClient()
    assert client.get("/parties").status_code == 200
    assert client.get("/parties/history").status_code == 200
    cleanup = client.post("/parties/cleanup", {}, format="json")
    assert (cleanup.status_code == 401) is drops_require_auth


@pytest.mark.django_db
def test_anonymous_reads_are_throttled_per_client_address(public_read, settings):
    settings.PUBLIC_READ_THROTTLE_RATE = "2/minute"
    client = APIClient()
    statuses = [client.get("/players").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    other = APIClient(REMOTE_ADDR="10.9.8.7")
    assert other.get("/players").status_code == 200


@pytest.mark.django_db
def test_authenticated_reads_are_not_counted(public_read, settings, reader_client):
    settings.PUBLIC_READ_THROTTLE_RATE = "1/minute"
    assert [reader_client.get("/players").status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.django_db
def test_health_checks_are_never_counted(public_read, settings):
    settings.PUBLIC_READ_THROTTLE_RATE = "1/minute"
    client = APIClient()
    assert [client.get("/health").status_code for _ in range(3)] == [200, 200, 200]
    assert client.get("/players").status_code == 200


@pytest.mark.parametrize(("rate", "ok"), [("120/minute", True), ("5/s", True), ("lots", False)])
def test_the_throttle_rate_is_checked(settings, rate, ok):
    from osrs_diff.checks import check_public_read_throttle

    settings.PUBLIC_READ_THROTTLE_RATE = rate
    assert (check_public_read_throttle(None) == []) is ok
