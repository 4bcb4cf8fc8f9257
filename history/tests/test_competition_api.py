"""POST/GET /competitions, GET/PATCH/DELETE /competitions/{id}, the chart: bodies, validation
(every bad input a 4xx in the error format), status filter and permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from history.competitions.models import Competition
from players.models import Group, GroupMembership
from tests.factories import T0, PlayerFactory, SnapshotFactory, days

pytestmark = pytest.mark.django_db
NOW = T0 + days(15)
START, END = T0 + days(10), T0 + days(20)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def players():
    made = {}
    for name, (before, after) in {
        "Alpha": (1_000, 4_000),
        "Bravo": (1_000, 3_000),
        "Charlie": (2_000, 2_500),
    }.items():
        player = PlayerFactory(username=name, schedule=False)
        SnapshotFactory.create_history(
            player, [(days(1), {"attack": before}), (days(12), {"attack": after})]
        )
        made[name] = player
    return made


def body(**overrides):
    data = {
        "title": "Attack week",
        "metric": "attack",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
        "participants": ["Alpha", "bravo", "CHARLIE"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def create(client, **overrides):
    return client.post("/competitions", body(**overrides), format="json")


def test_create_answers_201_with_id_status_and_standings(staff_client, players):
    response = create(staff_client)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert Competition.objects.filter(pk=data["id"]).exists()
    assert data["status"] == "ongoing"
    assert data["participant_count"] == 3
    assert [(r["rank"], r["username"], r["gained"]) for r in data["standings"]] == [
        (1, "Alpha", 3_000),
        (2, "Bravo", 2_000),
        (3, "Charlie", 500),
    ]
    first = data["standings"][0]
    assert set(first) >= {
        "username",
        "start_value",
        "late_baseline",
        "current_value",
        "gained",
        "rank",
        "updated_at",
        "newly_ranked",
    }
    assert "teams" not in data


def test_group_id_copies_the_groups_members_at_creation(staff_client, players):
    group = Group.objects.create(name="Clan")
    for name in ("Alpha", "Charlie"):
        GroupMembership.objects.create(group=group, player=players[name])
    response = create(staff_client, participants=None, group_id=group.pk)
    assert response.status_code == 201, response.json()
    GroupMembership.objects.create(group=group, player=players["Bravo"])  # later: not copied
    detail = staff_client.get(f"/competitions/{response.json()['id']}").json()
    assert sorted(r["username"] for r in detail["standings"]) == ["Alpha", "Charlie"]


def test_team_competition_answers_team_sums(staff_client, players):
    response = create(
        staff_client,
        kind="team",
        participants=None,
        teams=[
            {"name": "Reds", "participants": ["Alpha", "Charlie"]},
            {"name": "Blues", "participants": ["Bravo"]},
        ],
    )
    assert response.status_code == 201, response.json()
    assert response.json()["teams"] == [
        {"rank": 1, "name": "Reds", "gained": 3_500, "members": ["Alpha", "Charlie"]},
        {"rank": 2, "name": "Blues", "gained": 2_000, "members": ["Bravo"]},
    ]


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"metric": "cooking_pots"}, 400, "unknown_metric"),
        ({"ends_at": START.isoformat()}, 400, "validation_error"),
        ({"ends_at": (START - timedelta(hours=1)).isoformat()}, 400, "validation_error"),
        ({"ends_at": (START + days(400)).isoformat()}, 400, "validation_error"),
        ({"starts_at": "0001-01-01T00:00:00Z"}, 400, "validation_error"),
        ({"starts_at": "2026-01-01T00:00:00+23:59"}, 400, "validation_error"),
        ({"ends_at": (NOW + days(800)).isoformat()}, 400, "validation_error"),
        ({"starts_at": "not a date"}, 400, "validation_error"),
        ({"participants": ["Alpha", "Nobody Here", "Zed"]}, 400, "unknown_players"),
        ({"participants": []}, 400, "validation_error"),
        ({"participants": "Alpha"}, 400, "validation_error"),
        ({"participants": [5]}, 400, "validation_error"),
        ({"participants": ["x" * 5000]}, 400, "validation_error"),
        ({"group_id": 1}, 400, "validation_error"),  # with participants: not both
        ({"participants": None, "group_id": 2**64}, 400, "validation_error"),
        ({"participants": None, "group_id": 999999}, 400, "unknown_group"),
        ({"participants": None, "group_id": "1"}, 400, "validation_error"),
        ({"title": ""}, 400, "validation_error"),
        ({"title": "   "}, 400, "validation_error"),
        ({"title": "t" * 121}, 400, "validation_error"),
        ({"kind": "duel"}, 400, "validation_error"),
        ({"colour": "red"}, 400, "validation_error"),
        (
            {"kind": "team", "teams": [{"name": "Solo", "participants": ["Alpha"]}]},
            400,
            "validation_error",
        ),
        ({"teams": [{"name": "A", "participants": ["Alpha"]}]}, 400, "validation_error"),
        (
            {
                "kind": "team",
                "participants": ["Alpha", "Bravo"],
                "teams": [
                    {"name": "A", "participants": ["Alpha"]},
                    {"name": "B", "participants": ["Charlie"]},
                ],
            },
            400,
            "not_a_participant",
        ),
        (
            {
                "kind": "team",
                "teams": [
                    {"name": "A", "participants": ["Alpha", "Bravo"]},
                    {"name": "B", "participants": ["bravo"]},
                ],
            },
            400,
            "in_two_teams",
        ),
        (
            {
                "kind": "team",
                "teams": [
                    {"name": "Same", "participants": ["Alpha"]},
                    {"name": "same", "participants": ["Bravo"]},
                ],
            },
            400,
            "validation_error",
        ),
    ],
)
def test_bad_input_is_a_4xx_in_the_error_format(staff_client, players, overrides, status, code):
    response = create(staff_client, **overrides)
    assert response.status_code == status, response.json()
    data = response.json()
    assert data["error_code"] == code
    assert set(data) >= {"error_code", "message", "details"}
    assert Competition.objects.count() == 0


def test_unknown_usernames_are_named_in_the_400(staff_client, players):
    response = create(staff_client, participants=["Alpha", "Nobody Here", "Zed"])
    assert response.json()["details"]["usernames"] == ["Nobody Here", "Zed"]
    assert "Nobody Here" in response.json()["message"]


def test_list_filters_by_status(staff_client, players):
    for title, start, end in [
        ("past", T0, T0 + days(2)),
        ("now", T0 + days(14), T0 + days(16)),
        ("soon", T0 + days(30), T0 + days(40)),
    ]:
        assert (
            create(
                staff_client, title=title, starts_at=start.isoformat(), ends_at=end.isoformat()
            ).status_code
            == 201
        )

    def titles(query=""):
        response = staff_client.get(f"/competitions{query}")
        assert response.status_code == 200
        return [row["title"] for row in response.json()["results"]]

    assert titles() == ["soon", "now", "past"]
    assert titles("?status=upcoming") == ["soon"]
    assert titles("?status=ongoing") == ["now"]
    assert titles("?status=finished") == ["past"]
    assert staff_client.get("/competitions?status=later").status_code == 400


def test_detail_of_a_missing_competition_is_404(reader_client):
    for path in (
        "/competitions/999999",
        "/competitions/99999999999999999999999",
        "/competitions/0/chart.svg",
    ):
        response = reader_client.get(path)
        assert response.status_code == 404
        assert response.json()["error_code"] == "not_found"


def test_patch_changes_title_dates_and_participants(staff_client, players):
    competition_id = create(
        staff_client, starts_at=(NOW + days(1)).isoformat(), ends_at=(NOW + days(3)).isoformat()
    ).json()["id"]
    response = staff_client.patch(
        f"/competitions/{competition_id}",
        {"title": "Renamed", "ends_at": (NOW + days(5)).isoformat(), "participants": ["Alpha"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["title"] == "Renamed"
    assert data["ends_at"].startswith((NOW + days(5)).date().isoformat())
    assert [r["username"] for r in data["standings"]] == ["Alpha"]


def test_a_finished_competition_refuses_dates_and_participants_but_takes_a_title(
    staff_client, players
):
    competition_id = create(
        staff_client, starts_at=T0.isoformat(), ends_at=(T0 + days(2)).isoformat()
    ).json()["id"]
    url = f"/competitions/{competition_id}"
    refused = staff_client.patch(url, {"ends_at": (NOW + days(1)).isoformat()}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error_code"] == "competition_locked"
    assert staff_client.patch(url, {"participants": ["Alpha"]}, format="json").status_code == 409
    assert staff_client.patch(url, {"title": "Old one"}, format="json").status_code == 200


def test_an_ongoing_competition_refuses_a_new_start(staff_client, players):
    competition_id = create(staff_client).json()["id"]
    response = staff_client.patch(
        f"/competitions/{competition_id}", {"starts_at": T0.isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["details"]["fields"] == ["starts_at"]
    assert response.json()["message"] == "An ongoing competition cannot change starts_at."


def test_a_write_racing_a_delete_is_404_not_500(staff_client, players):
    from history.competitions import services
    from osrs_diff.exceptions import NotFound

    competition = Competition.objects.get(pk=create(staff_client).json()["id"])
    Competition.objects.filter(pk=competition.pk).delete()  # the DELETE won the race
    with pytest.raises(NotFound) as caught:
        services.competition_update(competition=competition, title="Late")
    assert caught.value.status_code == 404
    assert caught.value.error_code == "competition_not_found"


@pytest.mark.parametrize("offset", [days(-1), timedelta(0)])
def test_an_ongoing_competition_refuses_an_end_moved_to_now_or_the_past(
    staff_client, players, offset
):
    competition_id = create(staff_client).json()["id"]  # ongoing at NOW
    response = staff_client.patch(
        f"/competitions/{competition_id}", {"ends_at": (NOW + offset).isoformat()}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "date_in_past"
    assert body["details"]["field"] == "ends_at"
    assert "ends_at must be in the future" in body["message"]
    assert Competition.objects.get(pk=competition_id).ends_at > NOW  # unchanged
    shortened = staff_client.patch(
        f"/competitions/{competition_id}",
        {"ends_at": (NOW + timedelta(minutes=1)).isoformat()},
        format="json",
    )
    assert shortened.status_code == 200  # shortening to a future end is fine


def test_an_upcoming_competition_refuses_a_start_moved_to_the_past(staff_client, players):
    competition_id = create(
        staff_client, starts_at=(NOW + days(1)).isoformat(), ends_at=(NOW + days(3)).isoformat()
    ).json()["id"]
    response = staff_client.patch(
        f"/competitions/{competition_id}",
        {"starts_at": (NOW - days(1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "date_in_past"
    assert response.json()["details"]["field"] == "starts_at"
    assert Competition.objects.get(pk=competition_id).starts_at == NOW + days(1)


def test_delete_removes_the_competition(staff_client, players):
    competition_id = create(staff_client).json()["id"]
    assert staff_client.delete(f"/competitions/{competition_id}").status_code == 204
    assert not Competition.objects.filter(pk=competition_id).exists()
    assert staff_client.get(f"/competitions/{competition_id}").status_code == 404


def test_chart_is_an_svg_of_the_top_participants(reader_client, staff_client, players):
    competition_id = create(staff_client).json()["id"]
    response = reader_client.get(f"/competitions/{competition_id}/chart.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert svg.count('class="series"') == 3
    assert 'data-username="Alpha"' in svg


def _client_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user(username="competitions-op", password="x-pass-1!")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="history", codename__in=codenames)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def test_writes_need_the_competition_permissions(
    django_user_model, reader_client, auth_client, api_client, players
):
    assert create(api_client).status_code == 401
    assert create(reader_client).status_code == 403
    assert create(auth_client).status_code == 403  # player permissions are not enough
    assert api_client.get("/competitions").status_code == 401
    assert reader_client.get("/competitions").status_code == 200
    client = _client_with(
        django_user_model, "add_competition", "change_competition", "delete_competition"
    )
    competition_id = create(client).json()["id"]
    url = f"/competitions/{competition_id}"
    assert reader_client.patch(url, {"title": "x"}, format="json").status_code == 403
    assert reader_client.delete(url).status_code == 403
    assert client.patch(url, {"title": "x"}, format="json").status_code == 200
    assert client.delete(url).status_code == 204
