"""drop_report: duplicates, distinct items, idle timeout on the write path, 64-bit totals.

Every behaviour runs against both implementations: the PostgreSQL hot path and the portable ORM
path used by other databases (SQLite in embedded mode).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from drops import services
from drops.models import Drop, Party

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
MAX_CASH = 2_147_483_647
MAX_INT64 = 2**63 - 1


@pytest.fixture(params=["postgresql", "portable"])
def report(request, monkeypatch):
    """drop_report through one implementation; the clock is frozen at T0 (shift it to move)."""
    if request.param == "portable":
        monkeypatch.setattr(services, "_report_postgresql", services._report_portable)

    def _report(world=444, item_id=1319, item_name="Rune 2h sword", quantity=1, value=38_052):
        return services.drop_report(
            world=world, item_id=item_id, item_name=item_name, quantity=quantity, value=value
        )

    return _report


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def test_first_drop_on_a_world_creates_a_party_with_that_drop(report, clock):
    result = report(world=444, value=38_052)

    assert result.status == "party_created"
    assert (result.world, result.total_drops, result.avg_drop_value) == (444, 1, 38_052)
    party = Party.objects.get(pk=result.party_id)
    assert (party.created_at, party.last_drop_at, party.ended_at) == (T0, T0, None)
    drop = Drop.objects.get(party=party)
    assert (drop.item_id, drop.item_name, drop.quantity, drop.value) == (
        1319,
        "Rune 2h sword",
        1,
        38_052,
    )
    assert drop.received_at == T0
    assert party.biggest_drop_id == drop.pk


def test_a_later_drop_joins_the_open_party_and_keeps_its_own_received_at(report, clock):
    first = report(item_id=1319, value=38_000)
    clock.shift(12.5)
    second = report(item_id=1163, item_name="Rune full helm", value=20_001)

    assert second.status == "drop_added"
    assert second.party_id == first.party_id
    assert (second.total_drops, second.avg_drop_value) == (2, 29_000)  # floor(58001 / 2)
    times = list(Drop.objects.order_by("id").values_list("received_at", flat=True))
    assert times == [T0, T0 + timedelta(seconds=12.5)]
    assert Party.objects.get().last_drop_at == T0 + timedelta(seconds=12.5)


def test_same_drop_within_the_window_is_ignored_with_its_age(report, clock):
    first = report()
    clock.shift(0.234)
    again = report()

    assert again.status == "ignored"
    assert again.party_id == first.party_id
    assert again.duplicate_age_seconds == pytest.approx(0.234)
    assert again.total_drops == 1
    assert Drop.objects.count() == 1


def test_distinct_items_in_one_burst_are_all_counted(report, clock):
    burst = [
        (1319, "Rune 2h sword", 1, 38_052),
        (1163, "Rune full helm", 1, 20_000),
        (1201, "Rune kiteshield", 1, 31_000),
        (536, "Dragon bones", 5, 10_000),
        (536, "Dragon bones", 3, 6_000),  # same item, different quantity: a different drop
        (1319, "Rune 2h sword", 1, 38_052),  # the first drop again: a duplicate
        (1163, "Rune full helm", 1, 20_000),  # the second again: a duplicate
    ]
    results = []
    for item_id, name, quantity, value in burst:
        results.append(report(item_id=item_id, item_name=name, quantity=quantity, value=value))
        clock.shift(0.05)

    assert [r.status for r in results] == ["party_created"] + ["drop_added"] * 4 + ["ignored"] * 2
    party = Party.objects.get()
    assert party.total_drops == 5
    assert int(party.total_value) == 38_052 + 20_000 + 31_000 + 10_000 + 6_000
    assert results[4].avg_drop_value == (38_052 + 20_000 + 31_000 + 10_000 + 6_000) // 5


def test_same_item_on_another_world_is_not_a_duplicate(report, clock):
    a = report(world=301)
    b = report(world=302)

    assert (a.status, b.status) == ("party_created", "party_created")
    assert a.party_id != b.party_id


def test_a_duplicate_just_outside_the_window_is_a_new_drop(report, clock, settings):
    settings.DROP_DUPLICATE_WINDOW_SECONDS = 0.5
    report()
    clock.shift(0.499)
    assert report().status == "ignored"
    clock.shift(0.002)  # 0.501 s after the accepted drop
    outside = report()

    assert outside.status == "drop_added"
    assert outside.total_drops == 2


def test_the_window_is_measured_from_the_last_accepted_copy_not_the_ignored_ones(report, clock):
    report()
    for _ in range(4):
        clock.shift(0.3)
        report()  # 0.3 s: ignored, 0.6 s: accepted, 0.9 s: ignored, 1.2 s: accepted
    assert Party.objects.get().total_drops == 3


def test_the_window_comes_from_the_setting(report, clock, settings):
    settings.DROP_DUPLICATE_WINDOW_SECONDS = 2.0
    report()
    clock.shift(1.5)
    assert report().status == "ignored"


def test_a_drop_on_an_idle_party_ends_it_and_opens_a_new_one(report, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    old = report(value=100)
    clock.shift(300)
    new = report(value=500)

    assert new.status == "party_created"
    assert new.party_id != old.party_id
    assert (new.total_drops, new.avg_drop_value) == (1, 500)
    stale = Party.objects.get(pk=old.party_id)
    # It ended when it went idle, and is never revived.
    assert stale.ended_at == T0 + timedelta(seconds=300)
    assert stale.total_drops == 1
    assert Party.objects.filter(ended_at=None).count() == 1


def test_a_drop_just_before_the_idle_timeout_keeps_the_party_alive(report, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    first = report(item_id=1)
    clock.shift(299.9)
    second = report(item_id=2)
    clock.shift(299.9)
    third = report(item_id=3)

    assert second.party_id == first.party_id == third.party_id
    assert third.total_drops == 3


def test_a_duplicate_is_never_matched_against_an_ended_party(report, clock, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 1
    settings.DROP_DUPLICATE_WINDOW_SECONDS = 5
    first = report()
    clock.shift(1)
    again = report()

    assert again.status == "party_created"
    assert again.party_id != first.party_id


def test_max_cash_stacks_sum_past_32_bits_exactly(report, clock):
    for item_id in range(10):
        report(item_id=item_id, quantity=MAX_CASH, value=MAX_CASH)
    party = Party.objects.get()
    assert party.total_drops == 10
    assert int(party.total_value) == 10 * MAX_CASH
    assert party.avg_drop == MAX_CASH


def test_values_at_the_64_bit_limit_sum_and_average_exactly(report, clock):
    report(item_id=1, value=MAX_INT64)
    second = report(item_id=2, value=MAX_INT64)
    third = report(item_id=3, value=1)

    assert second.avg_drop_value == MAX_INT64
    assert third.avg_drop_value == (2 * MAX_INT64 + 1) // 3
    assert int(Party.objects.get().total_value) == 2 * MAX_INT64 + 1
    assert Party.objects.get().biggest_drop.item_id == 1


def test_the_biggest_drop_follows_the_largest_value(report, clock):
    report(item_id=1, value=10)
    report(item_id=2, value=30)
    report(item_id=3, value=20)
    report(item_id=4, value=30)  # a tie keeps the earlier one

    assert Party.objects.get().biggest_drop.item_id == 2


def test_the_database_refuses_a_second_open_party_on_a_world(clock):
    services.drop_report(world=444, item_id=1, item_name="a", quantity=1, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Party.objects.create(world=444, created_at=T0, last_drop_at=T0)
