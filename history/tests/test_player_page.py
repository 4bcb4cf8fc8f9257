"""The player page: the Player admin's change page (history/admin.py)."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from hiscores.fetch_log import fetch_log_record
from hiscores.models import RejectedReading, Snapshot
from players.models import Player
from tests.factories import GameModeChangeFactory, PlayerFactory, days, record_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(admin)
    return client


@pytest.fixture
def player():
    player = PlayerFactory(username="Lynx Titan", schedule=False)
    now = timezone.now()
    record_snapshot(player, {"attack": 1_000, "zulrah": 5}, at=now - days(20))
    record_snapshot(player, {"attack": 1_234_567, "zulrah": 9}, at=now - days(2))
    GameModeChangeFactory(player=player, from_mode="hardcore", to_mode="ironman")
    fetch_log_record(player_id=player.pk, outcome="success", detail="")
    return player


def page(client, player, **query):
    return client.get(f"/admin/players/player/{player.pk}/change/", query)


def test_the_page_shows_tables_chart_game_modes_and_fetches(
    admin_client, player, django_assert_max_num_queries
):
    # Session, user, player, schedule, the overview (readings, game modes, fetch log): 8.
    with django_assert_max_num_queries(10):
        response = page(admin_client, player, period="week", metric="attack")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pp-skills"' in html and 'id="pp-bosses"' in html
    # Thousands separators, and the gain of the week (the first reading is older: not counted).
    assert "1,234,567" in html and "+1,233,567" in html
    assert "+4" in html  # zulrah 5 -> 9
    (src,) = re.findall(r'<img id="pp-chart" src="([^"]+)"', html)
    assert unescape(src).startswith("/players/Lynx%20Titan/history/attack/chart.svg?start=")
    assert "Hardcore" in html and "Ironman" in html
    assert 'id="pp-fetches"' in html and "success" in html
    assert 'id="pp-flag"' not in html
    chart = admin_client.get(unescape(src), HTTP_ACCEPT="image/*")
    assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg+xml")


def test_a_new_player_charts_from_the_first_reading(admin_client):
    player = PlayerFactory(username="Newbie", schedule=False)
    first = timezone.now() - days(3)
    record_snapshot(player, {"attack": 1_000}, at=first)

    html = page(admin_client, player, period="month").content.decode()

    (src,) = re.findall(r'<img id="pp-chart" src="([^"]+)"', html)
    assert f"start={first.isoformat()}".replace("+", "%2B").replace(":", "%3A") in unescape(src)
    assert "tracking began in this period" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "custom", "start": "2026-01-05"}, "needs both a start and an end"),
        ({"period": "custom", "start": "1990-01-01", "end": "1990-02-01"}, "start:"),
        ({"period": "custom", "start": "2026-02-01", "end": "2026-01-01"}, "end must be after"),
    ],
)
def test_a_bad_custom_period_is_explained(admin_client, player, query, message):
    response = page(admin_client, player, **query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="pp-error"' in html and message in html


def test_a_custom_period(admin_client, player):
    start = (timezone.now() - days(30)).date().isoformat()
    end = timezone.now().date().isoformat()
    html = page(admin_client, player, period="custom", start=start, end=end).content.decode()
    assert "+1,233,567" in html  # the whole history is inside


def test_flagged_player_shows_what_went_down_and_accepts(admin_client, player):
    Player.objects.filter(pk=player.pk).update(
        flag_reason="Values went down: attack", flagged_at=timezone.now()
    )
    latest = Snapshot.objects.filter(player=player).order_by("-fetched_at").first()
    columns = {
        f.attname: getattr(latest, f.attname)
        for f in Snapshot._meta.concrete_fields
        if f.attname.endswith(("_rank", "_level", "_experience", "_score"))
    }
    RejectedReading.objects.create(
        player=player,
        fetched_at=timezone.now(),
        board=latest.board,
        columns={**columns, "attack_experience": 10},
        falls=[{"metric": "attack", "field": "experience", "before": 1_234_567, "after": 10}],
    )

    html = page(admin_client, player).content.decode()
    assert 'id="pp-flag"' in html and "-1,234,557" in html and 'id="pp-accept"' in html

    response = admin_client.post(f"/admin/players/player/{player.pk}/accept-reading/")
    assert response.status_code == 302
    player.refresh_from_db()
    assert player.flag_reason == ""
    assert Snapshot.objects.filter(player=player, is_baseline=True).count() == 1


def test_accepting_needs_the_change_permission(client, player):
    viewer = get_user_model().objects.create_user("viewer", password="pw-123456!", is_staff=True)
    client.force_login(viewer)
    response = client.post(f"/admin/players/player/{player.pk}/accept-reading/")
    assert response.status_code in (302, 403)
    assert not Snapshot.objects.filter(player=player, is_baseline=True).exists()
