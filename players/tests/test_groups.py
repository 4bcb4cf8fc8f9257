"""Groups: the membership rules and the CRUD API (create, read, rename, delete, remove members)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from osrs_diff.exceptions import Conflict
from players.groups import services
from players.models import Group, GroupMembership, NameChange, Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def group_editor(django_user_model):
    """A non-staff user holding the three group permissions and nothing else."""
    editor = django_user_model.objects.create_user(username="editor", password="s3cret-pass!")
    editor.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="players",
            codename__in=["add_group", "change_group", "delete_group"],
        )
    )
    return editor


@pytest.fixture
def editor_client(group_editor):
    return _client(group_editor)


def _members(group: Group) -> list[tuple[str, str]]:
    return [
        (m.player.username, m.role)
        for m in GroupMembership.objects.filter(group=group).select_related("player")
    ]


# --- Membership rules (services) ----


def test_a_player_is_a_member_of_a_group_once():
    group = services.group_create(name="Clan")
    player = PlayerFactory(username="Zezima")
    assert services.group_members_add(group=group, players=[player, player]) == {player.pk}
    assert services.group_members_add(group=group, players=[player]) == set()
    assert GroupMembership.objects.filter(group=group).count() == 1


def test_a_player_may_be_in_several_groups_with_a_role_in_each():
    clan, team = services.group_create(name="Clan"), services.group_create(name="Team")
    player = PlayerFactory(username="Zezima")
    services.group_members_add(group=clan, players=[player], role="leader")
    services.group_members_add(group=team, players=[player])
    assert _members(clan) == [("Zezima", "leader")]
    assert _members(team) == [("Zezima", "")]
    assert set(player.groups.values_list("name", flat=True)) == {"Clan", "Team"}


def test_names_are_unique_whatever_the_case_and_spacing():
    services.group_create(name="Iron Clan")
    with pytest.raises(Conflict):
        services.group_create(name="  iron   CLAN ")
    other = services.group_create(name="Other")
    with pytest.raises(Conflict):
        services.group_update(group=other, name="IRON clan")


def test_deleting_a_group_keeps_its_players():
    group = services.group_create(name="Clan")
    players = PlayerFactory.create_batch(3)
    services.group_members_add(group=group, players=players)
    services.group_delete(group=group)
    assert Player.objects.count() == 3
    assert GroupMembership.objects.count() == 0


def test_deleting_a_player_removes_its_memberships_only():
    group = services.group_create(name="Clan")
    keep, gone = PlayerFactory(username="Keep"), PlayerFactory(username="Gone")
    services.group_members_add(group=group, players=[keep, gone])
    gone.delete()
    assert _members(group) == [("Keep", "")]


# --- The API ----


def test_create_answers_201_with_the_id_and_the_detail(editor_client):
    response = editor_client.post(
        "/groups", {"name": "Iron Clan", "description": "Ours."}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    group = Group.objects.get()
    assert body["id"] == group.pk
    assert body["name"] == "Iron Clan" and body["description"] == "Ours."
    assert body["members"] == [] and body["member_count"] == 0
    assert response["Location"] == f"/groups/{group.pk}"


def test_a_taken_name_in_another_case_is_409(editor_client):
    editor_client.post("/groups", {"name": "Iron Clan"}, format="json")
    response = editor_client.post("/groups", {"name": "IRON CLAN"}, format="json")
    assert response.status_code == 409
    assert response.json()["error_code"] == "group_exists"
    assert Group.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": 5},
        {"name": None},
        {"name": "x" * 101},
        {"name": "ok", "members": []},
        {"name": "ok", "description": 7},
        {"name": "nul\x00"},
        ["name"],
    ],
)
def test_bad_create_bodies_are_400(editor_client, body):
    response = editor_client.post("/groups", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error_code"] == "validation_error"
    assert Group.objects.count() == 0


def test_any_unicode_name_is_kept(editor_client):
    response = editor_client.post("/groups", {"name": "Ŝkill ☃ 𝔠𝔩𝔞𝔫"}, format="json")
    assert response.status_code == 201
    assert editor_client.get(f"/groups/{response.json()['id']}").json()["name"] == "Ŝkill ☃ 𝔠𝔩𝔞𝔫"


def test_the_list_counts_members(editor_client, reader_client, django_assert_num_queries):
    clan = services.group_create(name="Clan")
    services.group_create(name="Alone")
    services.group_members_add(group=clan, players=PlayerFactory.create_batch(2))
    with django_assert_num_queries(3):  # the JWT user, the count, the page with its counts
        body = reader_client.get("/groups").json()
    assert body["count"] == 2
    assert [(g["name"], g["member_count"]) for g in body["results"]] == [("Alone", 0), ("Clan", 2)]


def test_the_detail_lists_members_with_role_and_game_mode(reader_client, django_assert_num_queries):
    group = services.group_create(name="Clan")
    iron = PlayerFactory(username="Iron Bob", game_mode="ironman")
    main = PlayerFactory(username="Zezima", flag_reason="xp fell", missing_since=timezone.now())
    services.group_members_add(group=group, players=[main])
    services.group_members_add(group=group, players=[iron], role="leader")
    with django_assert_num_queries(3):  # the JWT user, the group, its members
        body = reader_client.get(f"/groups/{group.pk}").json()
    assert [(m["username"], m["role"], m["game_mode"]) for m in body["members"]] == [
        ("Iron Bob", "leader", "ironman"),
        ("Zezima", "", "regular"),
    ]
    assert body["members"][1]["flagged"] is True and body["members"][1]["missing"] is True
    assert body["members"][0]["flagged"] is False and body["members"][0]["missing"] is False
    assert body["member_count"] == 2


def test_patch_renames_and_redescribes(editor_client):
    group = services.group_create(name="Clan", description="old")
    response = editor_client.patch(f"/groups/{group.pk}", {"name": "New Clan"}, format="json")
    assert response.status_code == 200
    group.refresh_from_db()
    assert (group.name, group.description) == ("New Clan", "old")
    response = editor_client.patch(f"/groups/{group.pk}", {"description": ""}, format="json")
    assert response.json()["description"] == ""
    services.group_create(name="Taken")
    response = editor_client.patch(f"/groups/{group.pk}", {"name": "taken"}, format="json")
    assert response.status_code == 409
    response = editor_client.patch(f"/groups/{group.pk}", {"id": 4}, format="json")
    assert response.status_code == 400


def test_delete_answers_204_and_keeps_players(editor_client):
    group = services.group_create(name="Clan")
    services.group_members_add(group=group, players=PlayerFactory.create_batch(2))
    assert editor_client.delete(f"/groups/{group.pk}").status_code == 204
    assert editor_client.get(f"/groups/{group.pk}").status_code == 404
    assert Player.objects.count() == 2


@pytest.mark.parametrize("group_id", ["0", "999999", str(2**63), str(2**64 + 1), "9" * 40])
def test_unknown_group_ids_are_404(reader_client, group_id):
    response = reader_client.get(f"/groups/{group_id}")
    assert response.status_code == 404
    assert response.json()["error_code"] == "group_not_found"


def test_removing_a_member_keeps_the_player(editor_client):
    group = services.group_create(name="Clan")
    player = PlayerFactory(username="Zezima")
    services.group_members_add(group=group, players=[player])
    assert editor_client.delete(f"/groups/{group.pk}/members/ZEZIMA").status_code == 204
    assert _members(group) == []
    assert Player.objects.filter(pk=player.pk).exists()
    response = editor_client.delete(f"/groups/{group.pk}/members/zezima")
    assert response.status_code == 404
    assert response.json()["error_code"] == "not_a_member"
    assert editor_client.delete(f"/groups/{group.pk}/members/nobody").status_code == 404


def test_a_former_name_removes_the_renamed_member(editor_client):
    group = services.group_create(name="Clan")
    player = PlayerFactory(username="New Name")
    NameChange.objects.create(
        player=player,
        old_username="Old Name",
        old_username_key="old name",
        new_username="New Name",
        changed_at=timezone.now(),
    )
    services.group_members_add(group=group, players=[player])
    assert editor_client.delete(f"/groups/{group.pk}/members/old_name").status_code == 204
    assert _members(group) == []


def test_patch_member_changes_the_role(editor_client):
    group = services.group_create(name="Clan")
    services.group_members_add(group=group, players=[PlayerFactory(username="Zezima")])
    response = editor_client.patch(
        f"/groups/{group.pk}/members/zezima", {"role": "leader"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["role"] == "leader"
    assert _members(group) == [("Zezima", "leader")]
    too_long = editor_client.patch(
        f"/groups/{group.pk}/members/zezima", {"role": "x" * 33}, format="json"
    )
    assert too_long.status_code == 400


# --- Permissions per role ----


def test_readers_read_but_do_not_write(reader_client):
    group = services.group_create(name="Clan")
    assert reader_client.get("/groups").status_code == 200
    assert reader_client.get(f"/groups/{group.pk}").status_code == 200
    assert reader_client.post("/groups", {"name": "X"}, format="json").status_code == 403
    assert (
        reader_client.patch(f"/groups/{group.pk}", {"name": "Y"}, format="json").status_code == 403
    )
    assert reader_client.delete(f"/groups/{group.pk}").status_code == 403
    assert Group.objects.get().name == "Clan"


def test_player_operators_need_the_group_permissions(auth_client):
    # The operator holds players.add/change/delete_player, not the group permissions.
    group = services.group_create(name="Clan")
    assert auth_client.post("/groups", {"name": "X"}, format="json").status_code == 403
    assert auth_client.delete(f"/groups/{group.pk}").status_code == 403
    assert APIClient().get("/groups").status_code == 401


def test_each_write_needs_its_own_permission(django_user_model):
    adder = django_user_model.objects.create_user(username="adder", password="s3cret-pass!")
    adder.user_permissions.add(
        Permission.objects.get(codename="add_group", content_type__app_label="players")
    )
    client = _client(adder)
    created = client.post("/groups", {"name": "Clan"}, format="json")
    assert created.status_code == 201
    group_id = created.json()["id"]
    assert client.patch(f"/groups/{group_id}", {"name": "Y"}, format="json").status_code == 403
    assert client.delete(f"/groups/{group_id}").status_code == 403
    assert (
        client.post(f"/groups/{group_id}/members", {"usernames": ["a"]}, format="json").status_code
        == 403
    )


# --- The same write twice at once ----


def _at_once(callers: int, work):
    """Run `work()` in `callers` threads released together; (results, errors)."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(callers)
    results, errors = [], []

    def call():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # collected for the assertions
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True, available_apps=["players", "osrs_diff"])
def test_creating_the_same_name_at_once_stores_one_group():
    results, errors = _at_once(4, lambda: services.group_create(name="Race Clan"))
    assert len(results) == 1
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors)
    assert Group.objects.count() == 1


@pytest.mark.django_db(transaction=True, available_apps=["players", "osrs_diff"])
def test_adding_the_same_player_at_once_adds_it_once():
    group = services.group_create(name="Clan")
    player = PlayerFactory(username="Zezima", schedule=False)
    results, errors = _at_once(
        4,
        lambda: services.group_members_add(
            group=Group.objects.get(pk=group.pk), players=[Player.objects.get(pk=player.pk)]
        ),
    )
    assert errors == []
    assert sorted(len(added) for added in results) == [0, 0, 0, 1]  # one "added", three "already"
    assert GroupMembership.objects.count() == 1


# --- Look-alike names, impossible ids and names (outside tester, issue 19) ----


@pytest.mark.parametrize(
    "name",
    [
        "Ｉron Clan",  # fullwidth I: NFKC reads it as "I"
        "𝐈𝐫𝐨𝐧 𝐂𝐥𝐚𝐧",  # mathematical bold
        "IRON\u200b Clan",  # a zero-width space
        "iron\u3000clan",  # an ideographic space
        "Iron Clan",
    ],
)
def test_a_name_that_reads_the_same_is_409_group_exists(editor_client, name):
    iron = services.group_create(name="Iron Clan")
    response = editor_client.post("/groups", {"name": name}, format="json")
    assert response.status_code == 409
    assert response.json()["error_code"] == "group_exists"
    assert response.json()["details"]["id"] == iron.pk
    other = services.group_create(name="Other")
    response = editor_client.patch(f"/groups/{other.pk}", {"name": name}, format="json")
    assert response.status_code == 409
    assert Group.objects.get(pk=other.pk).name == "Other"


@pytest.mark.parametrize(
    "name",
    ["Irоn Clan", "Iron Сlan", "Ρower Clan", "Ѕcаpe"],  # Cyrillic о/С/Ѕ/а, Greek Ρ
)
def test_a_word_mixing_look_alike_alphabets_is_400(editor_client, name):
    services.group_create(name="Iron Clan")
    response = editor_client.post("/groups", {"name": name}, format="json")
    assert response.status_code == 400
    assert "look-alike" in response.json()["message"]
    assert Group.objects.count() == 1


@pytest.mark.parametrize("name", ["Клан Железа", "鉄の一族 クラン", "Iron Клан", "Ελληνες 2"])
def test_names_in_one_alphabet_per_word_are_kept(editor_client, name):
    response = editor_client.post("/groups", {"name": name}, format="json")
    assert response.status_code == 201, response.json()
    assert Group.objects.get().name == name


def test_a_name_that_reads_too_long_once_normalised_is_400(editor_client):
    # U+FDFA is one character that NFKC spells as 18: the key column would overflow.
    response = editor_client.post("/groups", {"name": "\ufdfa" * 20}, format="json")
    assert response.status_code == 400
    assert Group.objects.count() == 0


def test_a_rename_keeps_the_key_so_the_old_name_is_free_again(editor_client):
    group = services.group_create(name="Iron Clan")
    services.group_update(group=group, name="Steel Clan")
    assert Group.objects.get(pk=group.pk).name_key == "steel clan"
    assert services.group_create(name="IRON clan").name == "IRON clan"


@pytest.mark.parametrize("group_id", ["-1", "1.5", "abc", "1_0", "%20" + "7", "٣", "x" * 5000])
@pytest.mark.parametrize("suffix", ["", "/members/Zezima", "/gains", "/stats"])
def test_any_id_form_is_group_not_found(editor_client, group_id, suffix):
    for pk in range(1, 12):  # groups 1 to 11 exist whatever the sequence: none may be read
        Group.objects.get_or_create(pk=pk, defaults={"name": f"Clan {pk}"})
    method = editor_client.delete if suffix.startswith("/members") else editor_client.get
    response = method(f"/groups/{group_id}{suffix}")
    assert response.status_code == 404
    assert response.json()["error_code"] == "group_not_found"
    assert len(response.json()["message"]) < 120


@pytest.mark.parametrize("username", ["a" * 5000, "bad!name", "Zezima Zezima", "ＺＥＺＩＭＡ"])
def test_an_impossible_member_name_is_400_and_not_echoed_whole(editor_client, username):
    group = services.group_create(name="Clan")
    services.group_members_add(group=group, players=[PlayerFactory(username="Zezima")])
    for method in (editor_client.delete, editor_client.patch):
        response = method(f"/groups/{group.pk}/members/{username}", {"role": "x"}, format="json")
        assert response.status_code == 400
        assert response.json()["error_code"] == "validation_error"
        assert len(response.content) < 1000
    assert _members(group) == [("Zezima", "")]


def test_membership_labels_name_the_player_and_the_group():
    group = services.group_create(name="Iron Clan")
    services.group_members_add(group=group, players=[PlayerFactory(username="Zezima")])
    assert str(GroupMembership.objects.get()) == "Zezima in Iron Clan"
