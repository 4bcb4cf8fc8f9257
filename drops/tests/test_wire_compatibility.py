"""The old PartyTime server's documented bodies (shared fixtures) still work unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR).parent / "shared" / "fixtures" / "partytime"
README = FIXTURES / "python-readme"

needs_fixtures = pytest.mark.skipif(
    not README.is_dir(), reason="shared partytime fixtures are not available"
)


def load(name: str):
    return json.loads((README / name).read_text())


def same_shape(ours, theirs) -> None:
    """Every key the old clients read is present with a value of the same JSON type."""
    assert set(theirs) <= set(ours), set(theirs) - set(ours)
    for key, value in theirs.items():
        expected = (int, float) if isinstance(value, float) else type(value)
        assert isinstance(ours[key], expected), (key, ours[key])


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(datetime(2025, 12, 9, 12, 0, tzinfo=UTC), tick=False)
    return time_machine


@needs_fixtures
def test_the_documented_request_and_responses(api_client, clock):
    request = load("post_drops_request.json")

    created = api_client.post("/drops", request, format="json")
    clock.shift(0.234)
    ignored = api_client.post("/drops", request, format="json")
    clock.shift(1)
    added = api_client.post("/drops", {**request, "item_id": 1163}, format="json")

    same_shape(created.json(), load("post_drops_response_party_created.json"))
    assert created.json()["message"] == load("post_drops_response_party_created.json")["message"]
    same_shape(ignored.json(), load("post_drops_response_duplicate_ignored.json"))
    assert (
        ignored.json()["message"] == load("post_drops_response_duplicate_ignored.json")["message"]
    )
    same_shape(added.json(), load("post_drops_response_drop_added.json"))
    assert added.json()["message"] == load("post_drops_response_drop_added.json")["message"]


@needs_fixtures
def test_the_documented_list_and_cleanup_shapes(api_client, clock):
    api_client.post("/drops", load("post_drops_request.json"), format="json")
    clock.shift(30.5)

    parties = api_client.get("/parties").json()
    expected = load("get_parties_response.json")
    assert set(parties) == set(expected)
    assert set(parties["active_parties"][0]) == set(expected["active_parties"][0])
    same_shape(parties["active_parties"][0], expected["active_parties"][0])
    assert parties["active_parties"][0]["time_since_last_drop"] == 30.5

    clock.shift(600)
    cleanup = api_client.post("/parties/cleanup").json()
    expected = load("post_parties_cleanup_response.json")
    assert set(cleanup) == set(expected)
    assert set(cleanup["details"][0]) == set(expected["details"][0])
    same_shape(cleanup["details"][0], expected["details"][0])


@needs_fixtures
def test_real_item_prices_sum_and_average_exactly(api_client, clock):
    items = json.loads((FIXTURES / "osrs_ge_item_prices_2025-08-23_sample_items.json").read_text())
    for item in items:
        body = {
            "world": 420,
            "item_id": item["id"],
            "item_name": item["item_name"],
            "quantity": 1,
            "value": item["high"],
        }
        assert api_client.post("/drops", body, format="json").status_code == 201
        clock.shift(0.1)

    party = api_client.get("/parties").json()["active_parties"][0]
    values = [item["high"] for item in items]
    assert party["total_drops"] == len(items)
    assert party["avg_drop"] == sum(values) // len(values)
