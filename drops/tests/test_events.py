"""Drop parties write `party.started` and `party.ended` into the outbox in the same transaction.

On PostgreSQL the report's function writes them in its own statement: `POST /drops` stays one
round trip. Both implementations write the same data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from drops import services
from drops.models import Party
from osrs_diff import events
from osrs_diff.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_outbox(db):
    """Only this test's events (a reused test database may hold committed rows of others)."""
    OutboxEvent.objects.all().delete()


T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def kicks(monkeypatch):
    sent = []
    monkeypatch.setattr(events, "kick_delivery", lambda: sent.append(1))
    return sent


@pytest.fixture(params=["postgresql", "portable"])
def report(request, monkeypatch, kicks):
    if request.param == "portable":
        monkeypatch.setattr(services, "_report_postgresql", services._report_portable)

    def _report(world=444, item_id=1319, quantity=1, value=38_052):
        return services.drop_report(
            world=world, item_id=item_id, item_name="Rune 2h sword", quantity=quantity, value=value
        )

    return _report


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def _events(name: str | None = None) -> list[tuple[str, datetime, dict]]:
    rows = OutboxEvent.objects.order_by("id")
    if name:
        rows = rows.filter(name=name)
    return list(rows.values_list("name", "occurred_at", "data"))


def test_the_first_drop_on_a_world_records_party_started(report, clock):
    first = report(world=444)
    report(world=444, item_id=2)  # a drop on the open party
    report(world=444, item_id=2)  # its duplicate

    assert _events() == [
        (
            "party.started",
            T0,
            {"party_id": first.party_id, "world": 444, "started_at": "2026-05-01T12:00:00+00:00"},
        )
    ]
    assert OutboxEvent.objects.get().dispatched_at is None


def test_a_stale_party_ended_by_a_report_records_party_ended(report, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    old = report(world=444, value=1_000)
    clock.shift(60)
    report(world=444, item_id=2, value=5_000_000)
    clock.shift(600)

    new = report(world=444, item_id=3)

    assert [name for name, _at, _data in _events()] == [
        "party.started",
        "party.ended",
        "party.started",
    ]
    _name, occurred_at, data = _events("party.ended")[0]
    assert occurred_at == T0 + timedelta(seconds=60 + 300)
    assert data == {
        "party_id": old.party_id,
        "world": 444,
        "started_at": "2026-05-01T12:00:00+00:00",
        "ended_at": "2026-05-01T12:06:00+00:00",
        "duration_seconds": 60,
        "drops": 2,
        "total_value": 5_001_000,
        "biggest_value": 5_000_000,
    }
    assert _events("party.started")[1][2]["party_id"] == new.party_id


def test_a_rolled_back_report_leaves_no_event(report, clock):
    with pytest.raises(RuntimeError), transaction.atomic():
        report(world=444)
        raise RuntimeError("the request failed later")
    assert _events() == []


def test_the_postgresql_report_stays_one_round_trip_with_the_outbox_write(
    kicks, clock, django_assert_num_queries
):
    with django_assert_num_queries(1):
        result = services.drop_report(world=301, item_id=1, item_name="Item", quantity=1, value=10)
    assert result.status == "party_created"
    assert _events("party.started")[0][2]["party_id"] == result.party_id


# available_apps: flush only these tables, no post_migrate (later tests restore content types).
@pytest.mark.django_db(transaction=True, available_apps=["drops", "osrs_diff"])
def test_a_committed_report_that_opened_a_party_kicks_delivery_once(kicks, clock):
    connection.ensure_connection()
    with CaptureQueriesContext(connection) as queries:
        services.drop_report(world=302, item_id=1, item_name="Item", quantity=1, value=10)
    assert len(queries) == 1  # outside any atomic block: one statement, its own transaction
    assert kicks == [1]
    assert OutboxEvent.objects.filter(name="party.started").count() == 1

    services.drop_report(world=302, item_id=2, item_name="Item", quantity=1, value=10)
    assert kicks == [1]  # a drop on an open party records nothing and kicks nothing


def test_the_sweeper_records_party_ended_for_each_party(kicks, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    a = services.drop_report(world=301, item_id=1, item_name="A", quantity=1, value=100)
    services.drop_report(world=301, item_id=2, item_name="B", quantity=1, value=4_200_000)
    b = services.drop_report(world=302, item_id=1, item_name="A", quantity=1, value=7)
    clock.shift(400)

    ended = services.party_end_idle()

    assert len(ended) == 2
    by_party = {data["party_id"]: data for _n, _at, data in _events("party.ended")}
    assert by_party[a.party_id]["drops"] == 2
    assert by_party[a.party_id]["total_value"] == 4_200_100
    assert by_party[a.party_id]["biggest_value"] == 4_200_000
    assert by_party[b.party_id]["world"] == 302
    assert services.party_end_idle() == []
    assert len(_events("party.ended")) == 2


def test_parties_cleanup_records_party_ended(api_client, kicks, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    services.drop_report(world=303, item_id=1, item_name="A", quantity=1, value=100)
    clock.shift(400)

    assert api_client.post("/parties/cleanup").status_code == 200

    [(_name, _at, data)] = _events("party.ended")
    assert (data["world"], data["drops"], data["total_value"]) == (303, 1, 100)


def test_ending_a_party_by_hand_records_party_ended_once(kicks, clock):
    result = services.drop_report(world=304, item_id=1, item_name="A", quantity=1, value=100)
    clock.shift(30)

    services.party_end(party_id=result.party_id)
    services.party_end(party_id=result.party_id)  # already ended: nothing more

    [(_name, occurred_at, data)] = _events("party.ended")
    assert occurred_at == T0 + timedelta(seconds=30)
    assert data["ended_at"] == "2026-05-01T12:00:30+00:00"
    assert Party.objects.get().ended_at == occurred_at
