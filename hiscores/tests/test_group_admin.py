"""The groups admin: the list with member counts, the change page with members inline and player
autocomplete, adding a member inline, the fetch action."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from osrs_diff.queues import INTERACTIVE
from players.groups import services
from players.models import Group, GroupMembership
from tests.broker import queued
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(user)
    return client


@pytest.fixture
def clan():
    group = services.group_create(name="Iron Clan")
    services.group_members_add(
        group=group, players=[PlayerFactory(username="Zezima"), PlayerFactory(username="Iron Bob")]
    )
    services.group_create(name="Empty Clan")
    return group


def test_the_changelist_shows_member_counts(admin_client, clan, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = admin_client.get("/admin/players/group/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Iron Clan" in html and "Empty Clan" in html
    assert '<td class="field-member_count">2</td>' in html
    assert '<td class="field-member_count">0</td>' in html
    assert admin_client.get("/admin/players/group/?q=iron").status_code == 200
    assert admin_client.get("/admin/players/group/?o=2").status_code == 200  # by member count


def test_the_change_page_lists_members_inline_with_autocomplete(admin_client, clan):
    response = admin_client.get(f"/admin/players/group/{clan.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Zezima" in html and "Iron Bob" in html
    assert "admin-autocomplete" in html  # the player picker
    found = admin_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "players",
            "model_name": "groupmembership",
            "field_name": "player",
            "term": "zez",
        },
    )
    assert [row["text"] for row in found.json()["results"]] == ["Zezima"]


def test_a_group_is_added_with_a_member_inline(admin_client):
    player = PlayerFactory(username="Zezima")
    response = admin_client.post(
        "/admin/players/group/add/",
        {
            "name": "New Clan",
            "description": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-player": str(player.pk),
            "memberships-0-role": "leader",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    group = Group.objects.get(name="New Clan")
    assert list(GroupMembership.objects.filter(group=group).values_list("role", flat=True)) == [
        "leader"
    ]


@pytest.mark.parametrize("name", ["IRON CLAN", " iron   clan ", "Ｉron Clan", "Irоn Clan"])
def test_a_taken_name_in_another_spelling_is_a_form_error(admin_client, clan, name):
    response = admin_client.post(
        "/admin/players/group/add/",
        {
            "name": name,
            "description": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert Group.objects.filter(name__iexact="iron clan").count() == 1
    assert Group.objects.count() == 2  # Iron Clan and Empty Clan: no look-alike beside them
    assert "errorlist" in response.content.decode()


def test_deleting_a_group_in_the_admin_keeps_the_players(admin_client, clan):
    response = admin_client.post(f"/admin/players/group/{clan.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Group.objects.filter(pk=clan.pk).exists()
    assert {"Zezima", "Iron Bob"} <= set(
        PlayerFactory._meta.model.objects.values_list("username", flat=True)
    )


def test_the_fetch_action_queues_every_member(admin_client, clan):
    response = admin_client.post(
        "/admin/players/group/",
        {"action": "fetch_members_now", "_selected_action": [clan.pk]},
        follow=True,
    )
    assert "Iron Clan: queued 2 fetch(es)" in response.content.decode()
    assert len(queued(INTERACTIVE)) == 2


def test_a_big_group_lists_its_members_read_only_and_still_saves(admin_client, monkeypatch):
    from hiscores.admin import groups as group_admin

    monkeypatch.setattr(group_admin, "INLINE_MAX_MEMBERS", 3)
    group = services.group_create(name="Big Clan")
    players = PlayerFactory.create_batch(4, schedule=False)
    services.group_members_add(group=group, players=players)
    newcomer = PlayerFactory(username="Newcomer", schedule=False)
    page = admin_client.get(f"/admin/players/group/{group.pk}/change/").content.decode()
    assert all(p.username in page for p in players)  # the read-only list
    assert 'name="memberships-INITIAL_FORMS" value="0"' in page  # no row per member
    response = admin_client.post(
        f"/admin/players/group/{group.pk}/change/",
        {
            "name": "Big Clan",
            "description": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-player": str(newcomer.pk),
            "memberships-0-role": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert GroupMembership.objects.filter(group=group).count() == 5


def test_inline_rows_are_labelled_by_name_without_a_query_each(admin_client, clan):
    def page() -> tuple[str, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(f"/admin/players/group/{clan.pk}/change/")
        assert response.status_code == 200
        return response.content.decode(), len(queries)

    html, few = page()
    assert "Zezima in Iron Clan" in html and "Iron Bob in Iron Clan" in html
    assert f"{clan.pk} in" not in html.replace("Iron Clan", "")
    services.group_members_add(
        group=clan, players=[PlayerFactory(username=f"Member {i}") for i in range(6)]
    )
    html, many = page()
    assert "Member 5 in Iron Clan" in html
    # Django's autocomplete widget reads each row's selected player (one query a row); the
    # labels read the rows joined by the inline's queryset, nothing more.
    assert many - few <= 6


def test_the_empty_extra_row_shows_no_join_time(admin_client, clan):
    html = admin_client.get(f"/admin/players/group/{clan.pk}/change/").content.decode()
    cells = html.split('class="field-joined"')[1:]
    year = str(GroupMembership.objects.first().joined_at.year)
    # Two saved rows with their time, the extra row and the hidden template row without one.
    assert sum(year in cell.split("</td>", 1)[0] for cell in cells) == 2
    assert len(cells) >= 3


def test_a_rename_is_saved_and_a_name_stored_before_the_rules_is_kept_when_not_edited(
    admin_client, clan
):
    def post(group: Group, name: str, description: str):
        return admin_client.post(
            f"/admin/players/group/{group.pk}/change/",
            {
                "name": name,
                "description": description,
                "memberships-TOTAL_FORMS": "0",
                "memberships-INITIAL_FORMS": "0",
            },
        )

    empty = Group.objects.get(name="Empty Clan")
    assert post(empty, "Steel Clan", "").status_code == 302
    assert Group.objects.get(pk=empty.pk).name_key == "steel clan"
    legacy = Group.objects.create(name="Irоn Team")  # a Cyrillic "о", stored before the rule
    assert post(legacy, "Irоn Team", "Kept.").status_code == 302
    legacy.refresh_from_db()
    assert (legacy.name, legacy.description) == ("Irоn Team", "Kept.")
    response = post(legacy, "Irоn Team 2", "")  # a new name meets today's rules
    assert response.status_code == 200 and "look-alike" in response.content.decode()
