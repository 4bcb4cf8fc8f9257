"""Admin add/change forms and the player page: name rules, errors in words, latest snapshot."""

import re

import pytest
from django.contrib.auth import get_user_model

from players.models import Player
from tests.factories import PlayerFactory, reading

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/players/player/add/"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(user)
    return client


def field_errors(response, field: str) -> list[str]:
    form = response.context["adminform"].form
    return list(form.errors.get(field, []))


def all_errors(response) -> str:
    form = response.context["adminform"].form
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@pytest.mark.parametrize("name", ["x' OR 1=1--", "bad!name", "zezima\U0001f600", "a" * 13, "  "])
def test_add_refuses_invalid_names_on_the_field_without_asking_the_hiscores(
    admin_client, hiscores_http, name
):
    hiscores_http.add(name.strip() or "blank", regular=100)  # even a name the hiscores "know"
    response = admin_client.post(ADD_URL, {"username": name, "fetch_interval_minutes": 60})
    assert response.status_code == 200
    errors = field_errors(response, "username")
    assert errors, all_errors(response)
    assert "No hiscores board" not in " ".join(errors)
    assert hiscores_http.total_requests == 0
    assert not Player.objects.exists()


@pytest.mark.parametrize("minutes", [0, 4, 10_081, 2**40])
def test_add_refuses_out_of_range_intervals_in_words_on_the_field(
    admin_client, hiscores_http, minutes
):
    hiscores_http.add("Zezima", regular=100)
    response = admin_client.post(ADD_URL, {"username": "Zezima", "fetch_interval_minutes": minutes})
    assert response.status_code == 200
    assert field_errors(response, "fetch_interval_minutes")
    text = all_errors(response)
    assert "player_fetch_interval_range" not in text
    assert "Constraint" not in text
    assert hiscores_http.total_requests == 0
    assert not Player.objects.exists()


def test_add_turns_hiscores_failures_into_form_errors(admin_client, hiscores_http):
    hiscores_http.add("Zezima", regular="down")
    response = admin_client.post(ADD_URL, {"username": "Zezima", "fetch_interval_minutes": 60})
    assert response.status_code == 200
    assert all_errors(response)
    assert not Player.objects.exists()


def test_add_turns_a_lost_race_into_a_field_error(admin_client, hiscores_http, monkeypatch):
    """A concurrent add of the same name between the form's checks and the insert."""
    from players import services

    hiscores_http.add("Zezima", regular=100)
    real_detect = services.game_mode_detect

    def detect_then_race(**kwargs):
        detection = real_detect(**kwargs)
        PlayerFactory(username="zezima")
        return detection

    monkeypatch.setattr(services, "game_mode_detect", detect_then_race)
    response = admin_client.post(ADD_URL, {"username": "Zezima", "fetch_interval_minutes": 60})
    assert response.status_code == 200
    assert "already tracked" in " ".join(field_errors(response, "username"))
    assert Player.objects.count() == 1


def test_add_stores_a_valid_name(admin_client, hiscores_http):
    hiscores_http.add("Zezima", regular=100)
    response = admin_client.post(ADD_URL, {"username": " Zezima ", "fetch_interval_minutes": 30})
    assert response.status_code == 302
    player = Player.objects.get()
    assert (player.username, player.fetch_interval_minutes) == ("Zezima", 30)
    assert player.snapshots.count() == 1


def test_change_refuses_out_of_range_interval_in_words(admin_client):
    player = PlayerFactory(username="Zezima")
    response = admin_client.post(
        f"/admin/players/player/{player.pk}/change/",
        {
            "fetch_interval_minutes": 3,
            "is_active": "on",
            "game_mode_changes-TOTAL_FORMS": 0,
            "game_mode_changes-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert field_errors(response, "fetch_interval_minutes")
    assert "player_fetch_interval_range" not in all_errors(response)
    player.refresh_from_db()
    assert player.fetch_interval_minutes != 3


def test_change_page_shows_the_latest_snapshot(admin_client):
    from hiscores.services import snapshot_record

    player = PlayerFactory(username="Zezima")
    snapshot_record(player_id=player.pk, reading=reading({"overall": 5_000_000}))
    snapshot = player.snapshots.get()
    response = admin_client.get(f"/admin/players/player/{player.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    # The readonly field's value, as rendered in its row.
    row = re.search(r'field-latest_snapshot.*?<div class="readonly">(.*?)</div>', html, re.S)
    assert row is not None
    value = row.group(1)
    assert f'href="/admin/hiscores/snapshot/{snapshot.pk}/change/"' in value
    assert f"{snapshot.fetched_at:%Y-%m-%d %H:%M} UTC" in value
    assert f"total level {snapshot.overall_level}, {snapshot.overall_experience:,} XP" in value
    assert f"?player__id__exact={player.pk}" in value


def test_change_page_says_none_yet_without_snapshots(admin_client):
    player = PlayerFactory(username="Zezima")
    response = admin_client.get(f"/admin/players/player/{player.pk}/change/")
    html = response.content.decode()
    row = re.search(r'field-latest_snapshot.*?<div class="readonly">(.*?)</div>', html, re.S)
    assert row is not None and "none yet" in row.group(1)


def test_change_turns_a_service_error_into_a_form_error(admin_client, monkeypatch):
    from osrs_diff.exceptions import NotFound
    from players import services

    player = PlayerFactory(username="Zezima")

    def deleted_meanwhile(**kwargs):
        raise NotFound("Player 'Zezima' is not tracked.")

    monkeypatch.setattr(services, "player_update", deleted_meanwhile)
    response = admin_client.post(
        f"/admin/players/player/{player.pk}/change/",
        {
            "fetch_interval_minutes": 30,
            "is_active": "on",
            "game_mode_changes-TOTAL_FORMS": 0,
            "game_mode_changes-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "is not tracked" in all_errors(response)
