"""POST /groups/{id}/members: tracked names are added; with track_missing, new names are tracked
through the normal add path first; every name's outcome is reported."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from hiscores.integration.testing import DOWN
from hiscores.models import Snapshot
from hiscores.tracking import TRACKING_LOCK_PREFIX
from players.groups import services
from players.models import GroupMembership, Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def _client_with(django_user_model, *codenames: str) -> APIClient:
    editor = django_user_model.objects.create_user(username="editor", password="s3cret-pass!")
    editor.user_permissions.set(
        Permission.objects.filter(codename__in=codenames, content_type__app_label="players")
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(editor).access_token}")
    return client


@pytest.fixture
def editor_client(django_user_model):
    """A group editor who may also track players (track_missing)."""
    return _client_with(django_user_model, "change_group", "add_player")


@pytest.fixture
def group():
    return services.group_create(name="Clan")


def _add(client, group, **body):
    return client.post(f"/groups/{group.pk}/members", body, format="json")


def _outcomes(response) -> list[tuple[str, str, str | None]]:
    return [(r["name"], r["outcome"], r["username"]) for r in response.json()["results"]]


def test_tracked_names_are_added_and_untracked_ones_reported(editor_client, group):
    PlayerFactory(username="Zezima")
    member = PlayerFactory(username="Old Member")
    services.group_members_add(group=group, players=[member])
    response = _add(
        editor_client, group, usernames=["zezima", "Old_Member", "Nobody Yet", "Zezima", "bad!"]
    )
    assert response.status_code == 200
    assert _outcomes(response) == [
        ("zezima", "added", "Zezima"),
        ("Old_Member", "already_member", "Old Member"),
        ("Nobody Yet", "not_tracked", None),
        ("Zezima", "repeated", None),
        ("bad!", "invalid", None),
    ]
    body = response.json()
    assert body["member_count"] == 2
    assert body["counts"]["added"] == 1 and body["counts"]["not_tracked"] == 1
    assert not Player.objects.filter(username_key="nobody yet").exists()


def test_track_missing_tracks_through_the_add_path_and_reports_each_name(
    editor_client, group, hiscores_http
):
    PlayerFactory(username="Zezima")
    hiscores_http.add("New Iron", regular=5000, ironman=5000)
    hiscores_http.add("New Main", regular=1000)
    response = _add(
        editor_client,
        group,
        usernames=["Zezima", "New Iron", "Ghost", "New Main", "x" * 13],
        track_missing=True,
    )
    assert response.status_code == 200
    assert _outcomes(response) == [
        ("Zezima", "added", "Zezima"),
        ("New Iron", "tracked_and_added", "New Iron"),
        ("Ghost", "not_found", None),
        ("New Main", "tracked_and_added", "New Main"),
        ("x" * 13, "invalid", None),
    ]
    iron = Player.objects.get(username_key="new iron")
    assert iron.game_mode == "ironman"  # the add path detected the mode
    assert iron.fetch_task is not None  # and scheduled it
    assert Snapshot.objects.filter(player=iron).count() == 1  # with its first snapshot
    assert not Player.objects.filter(username_key="ghost").exists()
    assert set(GroupMembership.objects.values_list("player__username", flat=True)) == {
        "Zezima",
        "New Iron",
        "New Main",
    }


def test_after_the_hiscores_fail_the_other_new_names_are_not_tried(
    editor_client, group, hiscores_http
):
    hiscores_http.add("Down Guy", regular=DOWN)
    hiscores_http.add("Later", regular=1000)
    PlayerFactory(username="Tracked")
    response = _add(
        editor_client, group, usernames=["Down Guy", "Later", "Tracked"], track_missing=True
    )
    assert _outcomes(response) == [
        ("Down Guy", "unavailable", None),
        ("Later", "unavailable", None),
        ("Tracked", "added", "Tracked"),
    ]
    assert response.json()["results"][1]["message"].startswith("Not tried")
    assert hiscores_http.total_requests == 1  # Down Guy's regular board only
    assert not Player.objects.filter(username_key="later").exists()


def test_a_name_being_added_by_another_request_is_busy(editor_client, group, hiscores_http):
    hiscores_http.add("Racing", regular=1000)
    cache.add(TRACKING_LOCK_PREFIX + "racing", 1, timeout=30)
    response = _add(editor_client, group, usernames=["Racing"], track_missing=True)
    assert _outcomes(response) == [("Racing", "busy", None)]
    assert hiscores_http.total_requests == 0


def test_a_former_name_adds_the_renamed_player(editor_client, group):
    from players.models import NameChange

    player = PlayerFactory(username="New Name")
    NameChange.objects.create(
        player=player, old_username="Old Name", old_username_key="old name", new_username="New Name"
    )
    response = _add(editor_client, group, usernames=["old name"])
    assert _outcomes(response) == [("old name", "added", "New Name")]
    assert "is now" in response.json()["results"][0]["message"]


def test_a_former_and_a_current_name_of_one_player_add_it_once(editor_client, group):
    from players.models import NameChange

    player = PlayerFactory(username="New Name")
    NameChange.objects.create(
        player=player, old_username="Old Name", old_username_key="old name", new_username="New Name"
    )
    response = _add(editor_client, group, usernames=["Old Name", "new name"])
    assert _outcomes(response) == [
        ("Old Name", "added", "New Name"),
        ("new name", "repeated", "New Name"),
    ]


def test_a_name_tracked_meanwhile_by_another_request_is_added_not_tracked(
    editor_client, group, hiscores_http, monkeypatch
):
    from hiscores import groups
    from osrs_diff.exceptions import Conflict

    def tracked_by_someone_else(name):
        PlayerFactory(username=name, schedule=False)
        raise Conflict("already tracked")

    monkeypatch.setattr(groups, "track_now", tracked_by_someone_else)
    response = _add(editor_client, group, usernames=["Racer"], track_missing=True)
    assert _outcomes(response) == [("Racer", "added", "Racer")]


def test_the_role_is_given_to_the_new_members(editor_client, group):
    PlayerFactory(username="Zezima")
    _add(editor_client, group, usernames=["Zezima"], role="leader")
    assert GroupMembership.objects.get().role == "leader"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"usernames": []},
        {"usernames": "Zezima"},
        {"usernames": {"a": 1}},
        {"usernames": [1]},
        {"usernames": [None]},
        {"usernames": ["a"] * 501},
        {"usernames": ["a"], "track_missing": "yes"},
        {"usernames": ["a"], "track_missing": 1},
        {"usernames": ["a"], "extra": 1},
        {"usernames": ["a"], "role": "x" * 33},
    ],
)
def test_bad_bodies_are_400(editor_client, group, body):
    response = _add(editor_client, group, **body)
    assert response.status_code == 400, response.content
    assert response.json()["error_code"] == "validation_error"


def test_unknown_group_is_404(editor_client):
    response = editor_client.post(f"/groups/{2**63}/members", {"usernames": ["a"]}, format="json")
    assert response.status_code == 404


def test_adding_needs_change_group(reader_client, auth_client, group):
    PlayerFactory(username="Zezima")
    assert _add(reader_client, group, usernames=["Zezima"]).status_code == 403
    assert _add(auth_client, group, usernames=["Zezima"]).status_code == 403  # players perms only
    assert GroupMembership.objects.count() == 0


def test_track_missing_needs_add_player_too(django_user_model, group, hiscores_http):
    hiscores_http.add("New Guy", regular=1000)
    PlayerFactory(username="Zezima")
    client = _client_with(django_user_model, "change_group")
    refused = _add(client, group, usernames=["New Guy"], track_missing=True)
    assert refused.status_code == 403
    assert "players.add_player" in refused.json()["message"]
    assert hiscores_http.total_requests == 0
    assert not Player.objects.filter(username_key="new guy").exists()
    # Adding tracked players needs change_group alone.
    assert _outcomes(_add(client, group, usernames=["Zezima"])) == [("Zezima", "added", "Zezima")]


def test_tracking_over_the_budget_warns(editor_client, group, hiscores_http, monkeypatch):
    from players import selectors

    # A budget far below what one 60-minute schedule wants (the fetches themselves are unlimited).
    monkeypatch.setattr(selectors, "fetch_budget_rate", lambda: 0.0001)
    hiscores_http.add("New Guy", regular=1000)
    body = _add(editor_client, group, usernames=["New Guy"], track_missing=True).json()
    assert body["counts"]["tracked_and_added"] == 1
    assert body["warnings"] and "budget" in body["warnings"][0]
    PlayerFactory(username="Zezima")
    assert _add(editor_client, group, usernames=["Zezima"]).json()["warnings"] == []
