"""Who may call what: every route of the URLconf x every method its view allows x four users.

The table below is the permission contract, written once per route (README "API" tables say the
same). The routes are walked from the URL configuration, so a new route without an entry here
fails `test_every_route_has_an_entry`; an entry must list exactly the methods the view allows.

Outcomes per user (anonymous, reader, operator, staff):
  "ok"  the permission gate lets the request through (any answer but 401/403, never 5xx);
  "401" / "403" / "404" exactly that status, in the API's error format.
A reader is an authenticated user without permissions; an operator a non-staff user in a group
with players.add/change/delete_player.
"""

from __future__ import annotations

import re

import pytest
from celery import Celery, Task
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from osrs_diff.api_tasks import api_task_start

USERS = ("anonymous", "reader", "operator", "staff")
OPEN = ("ok", "ok", "ok", "ok")
READ = ("401", "ok", "ok", "ok")
WRITE = ("401", "403", "ok", "ok")
STAFF = ("401", "403", "403", "ok")
OWN_TASK = ("401", "404", "ok", "ok")  # the task was started by the operator
TOKEN_ONLY = ("401", "401", "401", "401")  # /metrics with METRICS_TOKEN set: the token alone

# route name -> {method: outcomes}. Not API routes (HTML/session, catch-all) map to a reason.
MATRIX: dict[str, dict[str, tuple[str, ...]] | str] = {
    "admin-systemtask-moved": "redirect from the old admin path of system tasks (test_urls)",
    "admin": "Django admin: session login, model permissions (test_permissions.py)",
    "api-auth": "DRF browsable-API session login pages",
    "unknown-route": "catch-all: 404 for every method and user (test_errors.py)",
    "front-door": "HTML front door, open to everyone (test_front_door.py)",
    "api-root": {"GET": OPEN},
    "health": {"GET": OPEN},
    "health-ready": {"GET": OPEN},
    "schema": {"GET": OPEN},
    "docs": {"GET": OPEN},
    "redoc": {"GET": OPEN},
    "redoc-bundle": "ReDoc's JavaScript for /redoc, open to everyone (test_docs_offline.py)",
    "auth-login": {"POST": OPEN},
    "auth-refresh": {"POST": OPEN},
    "auth-logout": {"POST": OPEN},
    "auth-me": {"GET": READ},
    "task-status": {"GET": OWN_TASK},
    "metrics": {"GET": TOKEN_ONLY},
    "system-task-list": {"GET": STAFF},
    "system-task-run": {"POST": STAFF},
    "system-stats": {"GET": STAFF},
    "system-trigger-game-mode-check": {"POST": STAFF},
    "webhook-list": {"GET": STAFF, "POST": STAFF},
    "webhook-detail": {"GET": STAFF, "PATCH": STAFF, "DELETE": STAFF},
    "players-stats": {"GET": READ},
    "player-fetch": {"POST": WRITE},
    "player-accept-reading": {"POST": WRITE},
    "player-stats": {"GET": READ},
    "player-snapshots": {"GET": READ},
    "player-list": {"GET": READ, "POST": WRITE},
    "player-detail": {"GET": READ, "PATCH": WRITE, "DELETE": WRITE},
    "player-pause": {"POST": WRITE},
    "player-rename": {"POST": WRITE},
    "player-names": {"GET": READ},
    "player-resume": {"POST": WRITE},
    "player-update-game-mode": {"POST": WRITE},
    "player-schedule": {"GET": READ},
    "schedule-list": {"GET": READ},
    "history-leaderboard": {"GET": READ},
    "achievements-recent": {"GET": READ},
    "player-achievements": {"GET": READ},
    "player-records": {"GET": READ},
    "player-history": {"GET": READ},
    "player-overview": {"GET": READ},
    "player-history-skill": {"GET": READ},
    "player-history-boss": {"GET": READ},
    "player-history-activity": {"GET": READ},
    "player-history-chart": {"GET": READ},
    # Groups (issue 19): the operator here holds only the players model permissions, so the
    # group writes (players.add/change/delete_group) are staff's; fetching a group needs
    # players.change_player, like fetching one player.
    "group-list": {"GET": READ, "POST": STAFF},
    "group-detail": {"GET": READ, "PATCH": STAFF, "DELETE": STAFF},
    "group-members": {"POST": STAFF},
    "group-member": {"PATCH": STAFF, "DELETE": STAFF},
    "group-fetch": {"POST": WRITE},
    "group-gains": {"GET": READ},
    "group-stats": {"GET": READ},
    "competition-list": {"GET": READ, "POST": STAFF},
    "competition-detail": {"GET": READ, "PATCH": STAFF, "DELETE": STAFF},
    "competition-chart": {"GET": READ},
    "drop-report": {"POST": OPEN},
    "party-list-active": {"GET": OPEN},
    "party-cleanup": {"POST": OPEN},
    "party-history": {"GET": OPEN},
    "party-detail": {"GET": OPEN},
}

# Path parameters: a player that does not exist, so a request the gate lets through stops at
# 404 before it reaches the hiscores or the broker.
PARAMS = {
    "username": "nobody-here",
    "metric": "attack",
    "party_id": "999999",
    "name": "no-such-task",
    "webhook_id": "999999",
    "group_id": "999999",
    "competition_id": "999999",
}
METHODS = ("get", "post", "put", "patch", "delete")


def _routes(resolver: URLResolver | None = None, prefix: str = ""):
    """(name, regex, view) for every route; an included URLconf with a namespace is one entry."""
    for entry in (resolver or get_resolver()).url_patterns:
        regex = prefix + entry.pattern.regex.pattern.lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            if entry.namespace in ("admin", "rest_framework"):
                yield ("admin" if entry.namespace == "admin" else "api-auth"), regex, None
            else:
                yield from _routes(entry, regex)
        elif isinstance(entry, URLPattern):
            view = getattr(entry.callback, "view_class", None) or getattr(
                entry.callback, "cls", None
            )
            yield entry.name, regex, view


def _methods(view) -> set[str]:
    if view is None or not issubclass(view, APIView):
        return set()
    return {m.upper() for m in METHODS if hasattr(view, m)}


def _path(regex: str) -> str:
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: PARAMS[m[1]], regex)
    path = path.replace("/?", "").replace("\\", "")
    return "/" + path


def _cases():
    for name, regex, _view in _routes():
        entry = MATRIX.get(name)
        if not isinstance(entry, dict):
            continue
        for method, outcomes in sorted(entry.items()):
            for user, outcome in zip(USERS, outcomes, strict=True):
                yield pytest.param(name, regex, method, user, outcome, id=f"{name}-{method}-{user}")


def test_every_route_has_an_entry():
    seen = {}
    for name, _regex, view in _routes():
        assert name, "every route needs a name (the permission table is keyed by it)"
        assert name in MATRIX, f"route {name!r} has no entry in the permission table"
        seen[name] = view
        entry = MATRIX[name]
        if isinstance(entry, dict):
            assert set(entry) == _methods(view), f"{name}: table methods != view methods"
    assert set(MATRIX) == set(seen), f"stale entries: {sorted(set(MATRIX) - set(seen))}"


@pytest.fixture
def clients(reader, user, staff_user):
    def jwt(account):
        client = APIClient()
        token = RefreshToken.for_user(account).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return {
        "anonymous": APIClient(),
        "reader": jwt(reader),
        "operator": jwt(user),
        "staff": jwt(staff_user),
    }


@pytest.fixture
def no_broker(monkeypatch):
    """Tasks a request starts are recorded but not sent."""
    monkeypatch.setattr(Celery, "send_task", lambda *args, **kwargs: None)
    monkeypatch.setattr(Task, "apply_async", lambda *args, **kwargs: None)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "regex", "method", "who", "outcome"), list(_cases()))
def test_permission_matrix(name, regex, method, who, outcome, clients, user, settings, no_broker):
    settings.METRICS_TOKEN = "scraper-secret"
    PARAMS["task_id"] = api_task_start(task="players.check_game_modes", user=user)
    path = _path(regex)
    client = clients[who]
    body = {} if method in ("POST", "PATCH") else None
    response = getattr(client, method.lower())(path, body, format="json")

    assert response.status_code < 500, (path, response.status_code)
    if outcome == "ok":
        assert response.status_code not in (401, 403), (path, response.content[:200])
    else:
        assert response.status_code == int(outcome), (path, response.content[:200])
        error = response.json()
        expected_code = {
            "401": {"not_authenticated", "authentication_failed"},
            "403": {"permission_denied"},
            "404": {"not_found"},
        }[outcome]
        assert error["error_code"] in expected_code
        assert {"message", "details", "timestamp", "request_id"} <= set(error)
