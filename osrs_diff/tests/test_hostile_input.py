"""Hostile input gets a clear 4xx in the error format, never a 500, and stores nothing."""

import json

import pytest

from drops.models import Drop, Party
from players.models import Player

pytestmark = pytest.mark.django_db

DROP = {"world": 444, "item_id": 1319, "item_name": "Rune 2h sword", "quantity": 1, "value": 38052}
WRITE_ENDPOINTS = ["/drops", "/players", "/auth/login"]


def post_raw(client, path, body: bytes, content_type="application/json"):
    return client.generic("POST", path, body, content_type=content_type)


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"error_code", "message", "details", "timestamp", "request_id"}
    if code:
        assert body["error_code"] == code
    return body


def assert_nothing_stored():
    assert not Drop.objects.exists() and not Party.objects.exists()
    assert not Player.objects.exists()


@pytest.mark.parametrize("path", WRITE_ENDPOINTS)
def test_a_huge_body_is_413(auth_client, path, settings):
    body = json.dumps({**DROP, "item_name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    assert_error(post_raw(auth_client, path, body.encode()), 413, "payload_too_large")
    assert_nothing_stored()


@pytest.mark.parametrize("path", WRITE_ENDPOINTS)
def test_deeply_nested_json_is_a_parse_error(auth_client, path):
    body = b'{"world": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    assert_error(post_raw(auth_client, path, body), 400, "parse_error")
    assert_nothing_stored()


@pytest.mark.parametrize("path", WRITE_ENDPOINTS)
@pytest.mark.parametrize(
    "content_type, body",
    [
        ("text/plain", b"world=444"),
        ("application/x-www-form-urlencoded", b"world=444&item_id=1"),
        ("application/xml", b"<drop><world>444</world></drop>"),
    ],
)
def test_a_wrong_content_type_is_415(auth_client, path, content_type, body):
    assert_error(post_raw(auth_client, path, body, content_type), 415, "unsupported_media_type")
    assert_nothing_stored()


@pytest.mark.parametrize("path", WRITE_ENDPOINTS)
def test_non_utf8_bytes_are_a_parse_error(auth_client, path):
    assert_error(post_raw(auth_client, path, b'{"username": "\xff\xfe\xfd"}'), 400, "parse_error")


@pytest.mark.parametrize("body", [b"[]", b"null", b'"text"', b"42", b"NaN", b"{"])
def test_a_body_that_is_not_an_object_is_400(auth_client, body):
    response = post_raw(auth_client, "/drops", body)

    assert response.status_code == 400
    assert_nothing_stored()


@pytest.mark.parametrize("name", ["%", "a%b", "%%", "a'; DROP", "_%_", "\\"])
def test_sql_and_like_metacharacters_in_a_new_name_are_rejected(auth_client, name):
    body = assert_error(
        auth_client.post("/players", {"username": name}, format="json"), 400, "validation_error"
    )
    assert "Username" in body["message"]
    assert_nothing_stored()


def test_like_metacharacters_never_match_as_wildcards(auth_client):
    from tests.factories import PlayerFactory

    PlayerFactory(username="Zezima")
    PlayerFactory(username="a b")

    assert auth_client.get("/players", {"search": "%"}).json()["count"] == 0
    assert auth_client.get("/players/%25").status_code == 404
    assert auth_client.get("/players/z_zima").status_code == 404  # "_" is a space, not "any"
    # "_" reads as a space, exactly like the game does.
    assert auth_client.get("/players/a_b").json()["username"] == "a b"


@pytest.mark.parametrize("name", ["Zеzima", "Zezimа", "Ｚezima", "Zezima\u200b", "Zézima"])
def test_unicode_look_alike_names_are_rejected_and_never_match(auth_client, name):
    from tests.factories import PlayerFactory

    PlayerFactory(username="Zezima")

    assert_error(auth_client.post("/players", {"username": name}, format="json"), 400)
    assert auth_client.get(f"/players/{name}").status_code == 404
    assert Player.objects.count() == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("world", -1),
        ("world", 0),
        ("world", 2**31),
        ("quantity", 0),
        ("quantity", 2**31),
        ("value", -1),
        ("value", 2**63),
        ("value", 2**200),
        ("item_id", -5),
        ("value", 1.5),
        ("value", 1e30),
    ],
)
def test_negative_and_overflow_sized_numbers_are_rejected(api_client, field, value):
    response = api_client.post("/drops", {**DROP, field: value}, format="json")

    body = assert_error(response, 400, "validation_error")
    assert field in body["details"]
    assert_nothing_stored()


@pytest.mark.parametrize("field", ["world", "item_id", "quantity", "value"])
def test_integer_like_strings_are_rejected_by_strict_validation(api_client, field):
    response = api_client.post("/drops", {**DROP, field: str(DROP[field])}, format="json")

    assert field in assert_error(response, 400, "validation_error")["details"]
    assert_nothing_stored()


@pytest.mark.parametrize("interval", ["60", 60.5, -60, 2**63, True])
def test_a_bad_fetch_interval_is_rejected(auth_client, interval):
    response = auth_client.post(
        "/players", {"username": "Zezima", "fetch_interval_minutes": interval}, format="json"
    )

    assert_error(response, 400, "validation_error")
    assert_nothing_stored()


@pytest.mark.parametrize(
    "path",
    [
        "/players/%00zezima",
        "/players/zezima%00/stats",
        "/tasks/abc%00def",
        "/players?search=%00",
        "/history/leaderboard?metric=attack%00",
    ],
)
def test_nul_characters_in_the_path_or_query_are_400(auth_client, path):
    assert_error(auth_client.get(path), 400, "bad_request")


def test_nul_characters_in_a_body_string_are_rejected(api_client):
    response = api_client.post("/drops", {**DROP, "item_name": "Rune\x002h"}, format="json")

    assert "item_name" in assert_error(response, 400, "validation_error")["details"]
    assert_nothing_stored()


def test_unknown_fields_are_rejected(api_client):
    response = api_client.post("/drops", {**DROP, "is_admin": True}, format="json")

    assert_error(response, 400, "validation_error")
    assert_nothing_stored()


@pytest.mark.parametrize(
    "query",
    [
        {"period": "99999999999y"},
        {"start": "0000-01-01"},
        {"start": "2026-01-01", "end": "2025-01-01"},
        {"start": "not a date"},
        {"period": "-5d"},
    ],
)
def test_hostile_ranges_are_400(auth_client, query):
    response = auth_client.get("/history/leaderboard", {"metric": "attack", **query})

    assert_error(response, 400, "validation_error")
