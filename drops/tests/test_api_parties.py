"""GET /parties, POST /parties/cleanup, GET /parties/{id}, GET /parties/history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drops import services
from drops.models import Party
from tests.factories import party_with_drops

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def report(world=444, item_id=1319, value=38_052, quantity=1, name="Rune 2h sword"):
    return services.drop_report(
        world=world, item_id=item_id, item_name=name, quantity=quantity, value=value
    )


def parse(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    assert parsed.tzinfo is not None, f"{text} has no offset"
    return parsed


# --- GET /parties ----


def test_active_parties_have_the_old_shape_newest_activity_first(api_client, clock):
    a = report(world=301, value=100)
    clock.shift(10)
    b = report(world=302, value=300)
    clock.shift(5)
    report(world=302, item_id=2, value=500)
    clock.shift(20)
    report(world=301, item_id=3, value=200)
    clock.shift(2.5)

    response = api_client.get("/parties")

    assert response.status_code == 200
    parties = response.json()["active_parties"]
    assert [p["id"] for p in parties] == [a.party_id, b.party_id]
    first = parties[0]
    assert set(first) == {
        "id",
        "world",
        "avg_drop",
        "total_drops",
        "created_at",
        "last_drop_at",
        "time_since_last_drop",
    }
    assert (first["world"], first["total_drops"], first["avg_drop"]) == (301, 2, 150)
    assert parse(first["created_at"]) == T0
    assert parse(first["last_drop_at"]) == T0 + timedelta(seconds=35)
    assert first["time_since_last_drop"] == pytest.approx(2.5)
    assert isinstance(first["time_since_last_drop"], float)
    assert parties[1]["time_since_last_drop"] == pytest.approx(22.5)


def test_an_idle_party_is_never_listed_even_before_the_sweeper_runs(api_client, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    report(world=301)
    clock.shift(200)
    report(world=302)
    clock.shift(100)  # world 301 idle for exactly 300 s, world 302 for 100 s

    parties = api_client.get("/parties").json()["active_parties"]

    assert [p["world"] for p in parties] == [302]
    assert Party.objects.filter(ended_at=None).count() == 2  # nobody has swept yet


def test_the_active_list_takes_a_constant_number_of_queries(
    api_client, clock, django_assert_max_num_queries
):
    for world in range(301, 331):
        report(world=world)
    with django_assert_max_num_queries(2):
        assert len(api_client.get("/parties").json()["active_parties"]) == 30


# --- POST /parties/cleanup ----


def test_cleanup_ends_idle_parties_and_details_them(api_client, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    old = report(world=301, value=1000)
    clock.shift(90)
    report(world=301, item_id=2, value=3001)  # the party lasted 1.5 minutes
    clock.shift(60)
    fresh = report(world=302)
    clock.shift(300)  # 301 idle for 360 s, 302 for 300 s: both ended
    report(world=303)

    response = api_client.post("/parties/cleanup")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cleanup_complete"
    assert body["parties_ended"] == 2
    details = {d["id"]: d for d in body["details"]}
    assert details[old.party_id] == {
        "id": old.party_id,
        "world": 301,
        "total_drops": 2,
        "avg_drop": 2000,
        "duration_minutes": 1.5,
    }
    assert details[fresh.party_id]["duration_minutes"] == 0.0
    ended = Party.objects.get(pk=old.party_id)
    assert ended.ended_at == T0 + timedelta(seconds=90 + 300)
    assert Party.objects.filter(ended_at=None).values_list("world", flat=True).get() == 303


def test_cleanup_with_nothing_idle_ends_nothing(api_client, clock):
    report()
    body = api_client.post("/parties/cleanup/").json()

    assert body == {"status": "cleanup_complete", "parties_ended": 0, "details": []}


# --- GET /parties/{id} ----


def test_party_detail_has_totals_and_paginated_drops(api_client, clock):
    created = report(item_id=1319, value=38_052)
    clock.shift(1)
    report(item_id=1163, name="Rune full helm", value=20_000)
    clock.shift(1)
    report(item_id=1319, value=38_052)  # same item again after the window: another drop
    clock.shift(1)
    report(item_id=11832, name="Bandos chestplate", value=15_000_000)

    response = api_client.get(f"/parties/{created.party_id}", {"page_size": 3})

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created.party_id
    assert body["world"] == 444
    assert body["status"] == "active"
    assert body["ended_at"] is None
    assert body["total_drops"] == 4
    assert body["total_value"] == 38_052 * 2 + 20_000 + 15_000_000
    assert body["avg_drop"] == (38_052 * 2 + 20_000 + 15_000_000) // 4
    assert body["unique_items"] == 3
    assert body["biggest_drop"]["item_name"] == "Bandos chestplate"
    assert body["biggest_drop"]["value"] == 15_000_000
    assert body["duration_minutes"] == pytest.approx(0.05)
    drops = body["drops"]
    assert drops["count"] == 4
    assert [d["item_id"] for d in drops["results"]] == [1319, 1163, 1319]
    assert parse(drops["results"][1]["received_at"]) == T0 + timedelta(seconds=1)
    assert drops["next"] is not None

    page2 = api_client.get(f"/parties/{created.party_id}", {"page_size": 3, "page": 2}).json()
    assert [d["item_id"] for d in page2["drops"]["results"]] == [11832]


def test_party_detail_of_an_idle_party_shows_when_it_ended(api_client, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    created = report()
    clock.shift(400)

    body = api_client.get(f"/parties/{created.party_id}").json()

    assert body["status"] == "ended"
    assert parse(body["ended_at"]) == T0 + timedelta(seconds=300)


def test_unknown_party_is_404_in_the_error_format(api_client):
    response = api_client.get("/parties/999999")

    assert response.status_code == 404
    assert response.json()["error_code"] == "not_found"


def test_party_detail_takes_a_constant_number_of_queries(
    api_client, clock, django_assert_max_num_queries
):
    created = report(item_id=0)
    for item_id in range(1, 40):
        report(item_id=item_id)
    with django_assert_max_num_queries(3):
        assert api_client.get(f"/parties/{created.party_id}").json()["total_drops"] == 40


# --- GET /parties/history ----


def test_history_lists_ended_parties_with_totals_most_recent_first(api_client, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    older = party_with_drops(
        (1319, "Rune 2h sword", 1, 38_052),
        (1319, "Rune 2h sword", 1, 38_052),
        (536, "Dragon bones", 10, 20_000),
        world=301,
        created_at=T0 - timedelta(hours=5),
        last_drop_at=T0 - timedelta(hours=4),
        ended_at=T0 - timedelta(hours=4) + timedelta(minutes=5),
    )
    newer = party_with_drops(
        (1038, "Red partyhat", 1, 11_614),
        world=302,
        created_at=T0 - timedelta(hours=2),
        last_drop_at=T0 - timedelta(hours=2),
        ended_at=T0 - timedelta(hours=1),
    )
    report(world=303)  # open: not history

    response = api_client.get("/parties/history")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [p["id"] for p in body["results"]] == [newer.pk, older.pk]
    row = body["results"][1]
    assert row["status"] == "ended"
    assert (row["total_drops"], row["total_value"], row["unique_items"]) == (3, 96_104, 2)
    assert row["avg_drop"] == 96_104 // 3
    assert row["biggest_drop"]["item_name"] == "Rune 2h sword"
    assert parse(row["ended_at"]) == T0 - timedelta(hours=4) + timedelta(minutes=5)
    assert row["duration_minutes"] == 60.0


def test_history_includes_idle_parties_the_sweeper_has_not_ended(api_client, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    created = report()
    clock.shift(301)

    results = api_client.get("/parties/history").json()["results"]

    assert [p["id"] for p in results] == [created.party_id]
    assert parse(results[0]["ended_at"]) == T0 + timedelta(seconds=300)


def test_history_filters_by_world_and_since(api_client, clock):
    def ended(world, hours_ago):
        end = T0 - timedelta(hours=hours_ago)
        return party_with_drops(
            (1, "a", 1, 1),
            world=world,
            created_at=end - timedelta(minutes=20),
            last_drop_at=end,
            ended_at=end,
        )

    a = ended(301, 30)
    b = ended(301, 3)
    c = ended(302, 2)

    def ids(**params):
        return [p["id"] for p in api_client.get("/parties/history", params).json()["results"]]

    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(world=301) == [b.pk, a.pk]
    assert ids(since="2026-05-01T08:00:00+00:00") == [c.pk, b.pk]
    assert ids(world=301, since="2026-05-01T09:00:00Z") == [b.pk]
    assert ids(world=999) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"world": "abc"}, "world"), ({"world": 0}, "world"), ({"since": "yesterday"}, "since")],
)
def test_history_rejects_bad_filters(api_client, params, field):
    response = api_client.get("/parties/history", params)

    assert response.status_code == 400
    assert response.json()["error_code"] == "validation_error"
    assert field in response.json()["details"]


def test_history_takes_a_constant_number_of_queries(
    api_client, clock, django_assert_max_num_queries
):
    for world in range(301, 321):
        party_with_drops((1, "a", 1, 5), (2, "b", 1, 7), world=world)
    with django_assert_max_num_queries(2):
        assert len(api_client.get("/parties/history").json()["results"]) == 20
