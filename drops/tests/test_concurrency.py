"""Race tests with real threads and real commits against PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from drops import services
from drops.models import Drop, Party

# available_apps: the flush after each test empties only the drops tables, so rows other apps'
# migrations wrote (beat entries, for example) survive for the tests that run after these.
pytestmark = pytest.mark.django_db(transaction=True, available_apps=["drops", "osrs_diff"])


@pytest.fixture(params=["postgresql", "portable"])
def implementation(request, monkeypatch):
    if request.param == "portable":
        monkeypatch.setattr(services, "_report_postgresql", services._report_portable)
    return request.param


def run_concurrently(calls: list) -> list:
    """Run each call in its own thread (own DB connection), released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def worker(index: int, call) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def report(world: int, item_id: int, quantity: int = 1, value: int = 1000):
    return lambda: services.drop_report(
        world=world, item_id=item_id, item_name=f"item {item_id}", quantity=quantity, value=value
    )


def test_50_concurrent_first_reports_for_one_world_open_exactly_one_party(implementation):
    results = run_concurrently([report(444, item_id=i, value=1000 + i) for i in range(50)])

    assert Party.objects.count() == 1
    party = Party.objects.get()
    assert Counter(r.status for r in results) == {"party_created": 1, "drop_added": 49}
    assert {r.party_id for r in results} == {party.pk}
    assert party.total_drops == 50 == Drop.objects.filter(party=party).count()
    assert int(party.total_value) == sum(1000 + i for i in range(50))
    assert sorted(r.total_drops for r in results) == list(range(1, 51))


def test_50_concurrent_copies_of_one_drop_are_counted_once(implementation, settings):
    # A loaded CI machine may take a while to run 50 transactions; the window is not under test.
    settings.DROP_DUPLICATE_WINDOW_SECONDS = 30
    results = run_concurrently([report(444, item_id=1319, value=38_052) for _ in range(50)])

    assert Counter(r.status for r in results) == {"party_created": 1, "ignored": 49}
    party = Party.objects.get()
    assert party.total_drops == 1 == Drop.objects.count()
    assert int(party.total_value) == 38_052


def test_totals_are_exact_when_many_clients_report_the_same_drops_on_many_worlds(
    implementation, settings
):
    settings.DROP_DUPLICATE_WINDOW_SECONDS = 30
    worlds = [301, 302, 303, 304]
    drops = [(item_id, 10_000 * item_id + 7) for item_id in range(1, 9)]
    # Five clients per world each report every drop of that world; threads interleave freely.
    calls = []
    for world in worlds:
        for _client in range(5):

            def client(world=world):
                return [report(world, item_id, value=value)() for item_id, value in drops]

            calls.append(client)
    run_concurrently(calls)

    assert Party.objects.count() == len(worlds)
    expected_total = sum(value for _, value in drops)
    for party in Party.objects.all():
        assert party.total_drops == len(drops)
        assert int(party.total_value) == expected_total
        assert party.avg_drop == expected_total // len(drops)
        assert Drop.objects.filter(party=party).count() == len(drops)


def test_the_sweeper_skips_a_party_a_drop_is_being_written_to(settings):
    settings.DROP_PARTY_IDLE_SECONDS = 60
    long_ago = timezone.now() - timedelta(minutes=10)
    party = Party.objects.create(world=444, created_at=long_ago, last_drop_at=long_ago)
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Party.objects.select_for_update().get(pk=party.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        assert services.party_end_idle() == []  # returns at once instead of waiting
    finally:
        release.set()
        holder.join(timeout=30)

    assert [p.id for p in services.party_end_idle()] == [party.pk]
