"""A data-quality flag can be cleared: accept the rejected reading as a baseline snapshot.

Service, API (`POST /players/{username}/accept-reading`) and the admin (action and the player
page showing what went down).
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from hiscores.baselines import HISCORES, KEPT, snapshot_baseline_accept
from hiscores.models import RejectedReading, Snapshot
from hiscores.services import FetchStatus, snapshot_record
from osrs_diff.exceptions import Conflict
from players.models import Player
from tests.factories import T0, PlayerFactory, reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def player():
    return PlayerFactory(username="Zezima", schedule=False)


def record(player, values, hours):
    outcome = snapshot_record(
        player_id=player.pk, reading=reading(values, at=timedelta(hours=hours))
    )
    return outcome.status


@pytest.fixture
def flagged(player):
    """Attack fell from 5M to 1,000 at T0+1h (a name taken over by a new account)."""
    assert record(player, {"attack": 5_000_000}, 0) == FetchStatus.SUCCESS
    assert record(player, {"attack": 1_000}, 1) == FetchStatus.REJECTED
    player.refresh_from_db()
    assert player.flag_reason
    return player


def test_today_the_flag_sticks_after_real_progress(flagged):
    """Without accepting, real progress after the fall is rejected too (the reported bug)."""
    assert record(flagged, {"attack": 2_000}, 2) == FetchStatus.REJECTED


def test_a_rejected_reading_is_kept_with_what_went_down(flagged):
    kept = RejectedReading.objects.get(player=flagged)
    assert kept.fetched_at == T0 + timedelta(hours=1)
    assert kept.columns["attack_experience"] == 1_000
    fall = {"metric": "attack", "field": "experience", "before": 5_000_000, "after": 1_000}
    assert fall in kept.falls


def test_a_later_rejected_reading_replaces_the_kept_one(flagged):
    assert record(flagged, {"attack": 2_000}, 2) == FetchStatus.REJECTED
    assert RejectedReading.objects.get(player=flagged).columns["attack_experience"] == 2_000


def test_the_kept_reading_goes_when_the_flag_clears_by_itself(flagged):
    # The rollback was undone: the next reading matches the stored one again.
    assert record(flagged, {"attack": 5_000_000}, 2) == FetchStatus.UNCHANGED
    assert not RejectedReading.objects.filter(player=flagged).exists()


def test_accept_stores_the_kept_reading_as_a_baseline_without_a_hiscores_call(
    flagged, fake_hiscores
):
    acceptance = snapshot_baseline_accept(player=flagged)
    assert fake_hiscores.count() == 0
    assert acceptance.source == KEPT
    baseline = Snapshot.objects.get(pk=acceptance.snapshot_id)
    assert baseline.is_baseline
    assert baseline.fetched_at == T0 + timedelta(hours=1)
    assert baseline.attack_experience == 1_000
    player = Player.objects.get(pk=flagged.pk)
    assert (player.flag_reason, player.flagged_at) == ("", None)
    assert player.last_changed == T0 + timedelta(hours=1)
    assert not RejectedReading.objects.exists()
    # Real progress after the baseline is stored again.
    assert record(flagged, {"attack": 2_000}, 2) == FetchStatus.SUCCESS
    assert not Snapshot.objects.get(fetched_at=T0 + timedelta(hours=2)).is_baseline


def test_accepting_twice_stores_one_baseline(flagged):
    snapshot_baseline_accept(player=flagged)
    with pytest.raises(Conflict) as raised:
        snapshot_baseline_accept(player=Player.objects.get(pk=flagged.pk))
    assert raised.value.error_code == "not_flagged"
    # Also with a stale object that still shows the flag.
    with pytest.raises(Conflict):
        snapshot_baseline_accept(player=flagged)
    assert Snapshot.objects.filter(player=flagged, is_baseline=True).count() == 1


def test_a_flag_without_a_kept_reading_fetches_the_current_one(flagged, fake_hiscores):
    RejectedReading.objects.all().delete()  # flagged before readings were kept
    fake_hiscores.add_player("Zezima", stats={"attack": 3_000})
    acceptance = snapshot_baseline_accept(player=flagged)
    assert acceptance.source == HISCORES
    assert fake_hiscores.count(player="Zezima") == 1
    baseline = Snapshot.objects.get(pk=acceptance.snapshot_id)
    assert (baseline.is_baseline, baseline.attack_experience) == (True, 3_000)
    assert {"metric": "attack", "field": "experience", "before": 5_000_000, "after": 3_000} in (
        acceptance.falls
    )
    assert Player.objects.get(pk=flagged.pk).flag_reason == ""


# --- API ----


def test_api_accept_answers_the_result_and_clears_the_flag(flagged, staff_client, fake_hiscores):
    response = staff_client.post("/players/zezima/accept-reading")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "Zezima"
    assert body["source"] == "kept"
    assert body["snapshot_id"] == Snapshot.objects.get(is_baseline=True).pk
    assert body["fetched_at"].startswith("2026-01-01T13:00:00")
    assert {
        "metric": "attack",
        "field": "experience",
        "before": 5_000_000,
        "after": 1_000,
        "change": -4_999_000,
    } in body["accepted_falls"]
    assert body["player"]["flag_reason"] == "" and body["player"]["flagged_at"] is None
    assert fake_hiscores.count() == 0


def test_api_accept_twice_is_409_not_flagged_and_stores_one_baseline(flagged, staff_client):
    assert staff_client.post("/players/ZEZIMA/accept-reading/").status_code == 200
    response = staff_client.post("/players/zezima/accept-reading")
    assert response.status_code == 409
    assert response.json()["error_code"] == "not_flagged"
    assert Snapshot.objects.filter(is_baseline=True).count() == 1


def test_api_accept_of_an_unknown_player_is_404(staff_client):
    response = staff_client.post("/players/nobody/accept-reading")
    assert response.status_code == 404
    assert response.json()["error_code"] == "not_found"


def test_api_accept_needs_an_operator(flagged, reader_client, reader):
    response = reader_client.post("/players/zezima/accept-reading")
    assert response.status_code == 403
    assert Player.objects.get(pk=flagged.pk).flag_reason
    reader.user_permissions.add(Permission.objects.get(codename="change_player"))
    reader = get_user_model().objects.get(pk=reader.pk)  # drop the permission cache
    reader_client.force_authenticate(reader)
    assert reader_client.post("/players/zezima/accept-reading").status_code == 200


# --- Admin ----


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(user)
    return client


def flag_box(html: str) -> str | None:
    # The player page's flag box (history/templates/admin/history/player_page.html).
    match = re.search(r'<div class="pp-flag" id="pp-flag">(.*?)</div>', html, re.S)
    return match.group(1) if match else None


def test_admin_page_shows_what_went_down_and_by_how_much(flagged, admin_client):
    html = admin_client.get(f"/admin/players/player/{flagged.pk}/change/").content.decode()
    value = re.sub(r' class="[^"]*"', "", flag_box(html))
    assert "<td>attack</td><td>experience</td><td>5,000,000</td><td>1,000</td>" in value
    assert "<td>-4,999,000</td>" in value
    assert 'id="pp-accept"' in value


def test_admin_page_says_not_flagged(player, admin_client):
    html = admin_client.get(f"/admin/players/player/{player.pk}/change/").content.decode()
    assert flag_box(html) is None


def test_admin_action_accepts_the_latest_reading(flagged, admin_client):
    other = PlayerFactory(username="Calm", schedule=False)
    response = admin_client.post(
        "/admin/players/player/",
        {"action": "accept_latest_reading", "_selected_action": [flagged.pk, other.pk]},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Accepted the latest reading of 1 player(s)." in text
    assert "not flagged" in text  # the other player's error, in words
    assert Snapshot.objects.filter(player=flagged, is_baseline=True).count() == 1
    assert Player.objects.get(pk=flagged.pk).flag_reason == ""


@pytest.mark.django_db(transaction=True, available_apps=["players", "hiscores", "osrs_diff"])
def test_concurrent_accepts_store_one_baseline():
    """Two operators click at once: the player row lock lets exactly one of them accept."""
    import threading

    from django.db import connection

    player = PlayerFactory(username="Racer", schedule=False)
    assert record(player, {"attack": 5_000_000}, 0) == FetchStatus.SUCCESS
    assert record(player, {"attack": 1_000}, 1) == FetchStatus.REJECTED
    stale = Player.objects.get(pk=player.pk)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def accept() -> None:
        try:
            barrier.wait()
            snapshot_baseline_accept(player=stale)
            results.append("accepted")
        except Conflict as exc:
            results.append(exc.error_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["accepted", "not_flagged", "not_flagged", "not_flagged"]
    assert Snapshot.objects.filter(player=player, is_baseline=True).count() == 1
