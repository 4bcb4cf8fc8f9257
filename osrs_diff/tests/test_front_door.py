"""The front door (/), the API root (/api), login redirects, view names, pre-filled forms."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from players.serializers import PlayerCreateSerializer, PlayerUpdateSerializer

pytestmark = pytest.mark.django_db

OUR_PACKAGES = ("osrs_diff", "players", "hiscores", "history", "drops")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.textareas: list[str] = []
        self._in_textarea = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.urls.append(value)
        self._in_textarea = tag == "textarea"
        if self._in_textarea:
            self.textareas.append("")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._in_textarea = False

    def handle_data(self, data):
        if self._in_textarea:
            self.textareas[-1] += data


def parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@pytest.fixture
def session_client(client, user):
    client.force_login(user)
    return client


def test_front_door_names_the_product_and_links_everything(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>osrs-diff</h1>" in html
    links = parse(html).urls
    for path in ("/admin/", "/api", "/docs", "/redoc", "/health"):
        assert path in links, path
    # Self-contained: no stylesheet, script or font from another host.
    assert not [url for url in links if re.match(r"^(https?:)?//", url)]
    assert "<script" not in html


def test_front_door_offers_login_or_shows_the_user(client, user):
    assert "/api-auth/login/?next=/api" in client.get("/").content.decode()

    client.force_login(user)
    html = client.get("/").content.decode()
    assert "Signed in as <strong>operator</strong>" in html
    assert 'action="/api-auth/logout/"' in html


def test_api_root_lists_every_endpoint_without_login(api_client):
    response = api_client.get("/api", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    endpoints = response.json()["endpoints"]
    assert endpoints["player-list"] == "http://testserver/players"
    assert endpoints["player-detail"] == "/players/{username}"
    assert endpoints["player-history-chart"] == "/players/{username}/history/{metric}/chart.svg"
    assert endpoints["party-detail"] == "/parties/{party_id}"
    assert endpoints["health"] == "http://testserver/health"
    assert {"docs", "redoc", "schema", "drop-report", "system-task-list"} <= set(endpoints)
    assert not {"front-door", "api-root", "unknown-route"} & set(endpoints)
    assert response.json()["admin"] == "http://testserver/admin/"
    assert api_client.get("/api/").status_code == 200  # the optional trailing slash


def test_api_root_is_browsable_with_its_name(session_client):
    html = session_client.get("/api", HTTP_ACCEPT="text/html").content.decode()

    assert "osrs-diff API" in html
    assert 'href="http://testserver/players"' in html  # clickable
    assert '<a class="navbar-brand" href="/">osrs-diff</a>' in html
    assert "Django REST framework" not in html


def test_browsable_login_lands_on_the_api_root_and_logout_on_the_front_door(client, user):
    response = client.post("/api-auth/login/", {"username": "operator", "password": "s3cret-pass!"})
    assert response.status_code == 302
    assert response["Location"] == "/api"

    response = client.post("/api-auth/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_admin_view_site_link_goes_to_the_front_door(admin_client):
    html = admin_client.get("/admin/").content.decode()

    assert re.search(r'<a href="/">View site</a>', html)
    assert admin_client.get("/").status_code == 200


def _our_api_views():
    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                view = getattr(entry.callback, "view_class", None) or getattr(
                    entry.callback, "cls", None
                )
                if (
                    view
                    and issubclass(view, APIView)
                    and view.__module__.split(".")[0] in OUR_PACKAGES
                ):
                    yield entry.name, view

    return list(walk(get_resolver().url_patterns))


def test_every_api_view_has_a_readable_name():
    views = _our_api_views()
    assert len(views) > 30
    for route_name, view in views:
        assert getattr(view, "name", None), f"{route_name}: {view.__name__} has no `name`"
        assert "View" not in view.name


def test_browsable_pages_use_the_readable_name(session_client):
    html = session_client.get("/players", HTTP_ACCEPT="text/html").content.decode()

    assert "<h1>Players</h1>" in html
    assert "Player List Create" not in html


def test_browsable_post_form_for_players_is_prefilled_with_a_valid_body(session_client):
    html = session_client.get("/players", HTTP_ACCEPT="text/html").content.decode()

    (content,) = [text for text in parse(html).textareas if "username" in text]
    body = json.loads(content)
    assert body == {"username": "Zezima", "fetch_interval_minutes": 60}
    assert "schedule_id" not in content
    assert PlayerCreateSerializer(data=body).is_valid()


def test_declared_examples_are_valid_requests():
    views = {view.__name__: view for _, view in _our_api_views()}
    examples = {name: getattr(view, "browsable_example", {}) for name, view in views.items()}
    assert PlayerUpdateSerializer(data=examples["PlayerDetailView"]["PATCH"]).is_valid()
    for name, example in examples.items():
        for method in example:
            assert hasattr(views[name], method.lower()), f"{name} has an example for {method}"


def test_the_api_root_lists_api_endpoints_only(api_client):
    endpoints = api_client.get("/api").json()["endpoints"]
    assert "admin-systemtask-moved" not in endpoints  # a redirect into the admin
    assert "front-door" not in endpoints
    assert "player-list" in endpoints and "drop-report" in endpoints
