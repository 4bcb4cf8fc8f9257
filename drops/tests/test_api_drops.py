"""POST /drops: the wire shapes existing game clients rely on, validation and authentication."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from drops.models import Drop, Party

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
BODY = {"world": 444, "item_id": 1319, "item_name": "Rune 2h sword", "quantity": 1, "value": 38052}


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def test_first_drop_answers_party_created_with_201(api_client, clock):
    response = api_client.post("/drops", BODY, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "status": "party_created",
        "party_id": Party.objects.get().pk,
        "world": 444,
        "total_drops": 1,
        "avg_drop_value": 38052,
        "message": "New drop party created on world 444",
    }


def test_next_drop_answers_drop_added_with_201(api_client, clock):
    first = api_client.post("/drops", BODY, format="json").json()
    clock.shift(3)
    response = api_client.post(
        "/drops/", {**BODY, "item_id": 1163, "item_name": "Rune full helm", "value": 20000}, "json"
    )

    assert response.status_code == 201
    assert response.json() == {
        "status": "drop_added",
        "party_id": first["party_id"],
        "world": 444,
        "total_drops": 2,
        "avg_drop_value": (38052 + 20000) // 2,
        "message": "Drop added to existing party on world 444",
    }


def test_duplicate_answers_ignored_with_200_and_the_age(api_client, clock):
    first = api_client.post("/drops", BODY, format="json").json()
    clock.shift(0.234)
    response = api_client.post("/drops", BODY, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ignored",
        "reason": "duplicate_detected",
        "party_id": first["party_id"],
        "message": "Drop ignored - likely duplicate (last drop was 0.234s ago)",
    }
    assert Drop.objects.count() == 1


def test_a_max_value_drop_is_accepted_and_averaged_exactly(api_client, clock):
    top = 2**63 - 1
    api_client.post("/drops", {**BODY, "item_id": 1, "value": top}, format="json")
    response = api_client.post("/drops", {**BODY, "item_id": 2, "value": top}, format="json")

    assert response.status_code == 201
    assert response.json()["avg_drop_value"] == top


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"world": 0}, "world"),
        ({"world": 10000}, "world"),
        ({"world": "444"}, "world"),
        ({"world": None}, "world"),
        ({"world": 444.5}, "world"),
        ({"world": True}, "world"),
        ({"item_id": -1}, "item_id"),
        ({"item_id": 2**31}, "item_id"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 2_147_483_648}, "quantity"),
        ({"value": -1}, "value"),
        ({"value": 2**63}, "value"),
        ({"value": "38052"}, "value"),
        ({"item_name": ""}, "item_name"),
        ({"item_name": "x" * 101}, "item_name"),
        ({"item_name": 5}, "item_name"),
        ({"itemId": 1319}, "itemId"),
        ({"extra": 1}, "extra"),
    ],
)
def test_invalid_reports_get_400_in_the_error_format_and_store_nothing(api_client, change, field):
    response = api_client.post("/drops", {**BODY, **change}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "validation_error"
    assert field in body["details"]
    assert set(body) >= {"message", "timestamp", "request_id"}
    assert Party.objects.count() == 0 and Drop.objects.count() == 0


@pytest.mark.parametrize("missing", sorted(BODY))
def test_every_field_is_required(api_client, missing):
    body = {k: v for k, v in BODY.items() if k != missing}
    response = api_client.post("/drops", body, format="json")

    assert response.status_code == 400
    assert response.json()["details"][missing] == ["This field is required."]


def test_the_boundaries_are_accepted(api_client):
    limits = {"world": 9999, "item_id": 0, "quantity": 2_147_483_647, "value": 0}
    assert api_client.post("/drops", {**BODY, **limits}, format="json").status_code == 201
    assert api_client.post("/drops", {**BODY, "world": 1}, format="json").status_code == 201
    name = "x" * 100
    body = {**BODY, "world": 2, "item_name": name}
    assert api_client.post("/drops", body, format="json").status_code == 201


@pytest.mark.parametrize(
    ("payload", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "parse_error"),
        ("[1, 2]", "application/json", 400, "validation_error"),
        ("world=444", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_bodies_that_are_not_a_json_object_are_rejected(
    api_client, payload, content_type, status, code
):
    response = api_client.generic("POST", "/drops", payload, content_type=content_type)

    assert response.status_code == status
    assert response.json()["error_code"] == code


def test_drops_accept_anonymous_clients_by_default(api_client):
    assert api_client.post("/drops", BODY, format="json").status_code == 201


def test_drop_party_endpoints_require_a_jwt_when_configured(api_client, auth_client, settings):
    settings.DROPS_REQUIRE_AUTH = True

    for method, path in [("post", "/drops"), ("get", "/parties"), ("post", "/parties/cleanup")]:
        response = getattr(api_client, method)(path, BODY, format="json")
        assert response.status_code == 401, path
        assert response.json()["error_code"] == "not_authenticated"
    assert api_client.get("/parties/history").status_code == 401
    assert auth_client.post("/drops", BODY, format="json").status_code == 201
    party_id = Party.objects.get().pk
    assert api_client.get(f"/parties/{party_id}").status_code == 401
    assert auth_client.get(f"/parties/{party_id}").status_code == 200


def test_get_is_not_allowed_on_drops(api_client):
    response = api_client.get("/drops")

    assert response.status_code == 405
    assert response.json()["error_code"] == "method_not_allowed"


def test_the_message_shows_milliseconds(api_client, clock):
    api_client.post("/drops", BODY, format="json")
    clock.shift(0.05)
    message = api_client.post("/drops", BODY, format="json").json()["message"]

    assert re.fullmatch(r"Drop ignored - likely duplicate \(last drop was 0\.050s ago\)", message)


def test_the_drop_party_endpoints_are_documented_in_the_schema(api_client):
    schema = api_client.get("/schema", {"format": "json"}).json()

    operations = {
        (path, method): op["operationId"]
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }
    assert operations[("/drops", "post")] == "drops_report"
    assert operations[("/parties", "get")] == "parties_active_list"
    assert operations[("/parties/cleanup", "post")] == "parties_cleanup"
    assert operations[("/parties/history", "get")] == "parties_history_list"
    assert operations[("/parties/{party_id}", "get")] == "parties_retrieve"
    body = schema["components"]["schemas"]["DropReportRequest"]
    assert body["required"] == ["item_id", "item_name", "quantity", "value", "world"]
