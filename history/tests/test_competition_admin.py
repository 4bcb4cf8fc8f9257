"""The competitions admin runs the API's rules (the services' checks in the form's clean(), the
services' create/update on save): status locks, limits, teams, no reopening a finished one."""

from __future__ import annotations

import pytest
import time_machine

from history.competitions import schedules, services
from history.competitions.models import Competition
from osrs_diff.events import COMPETITION_ENDED
from osrs_diff.models import OutboxEvent
from tests.factories import T0, PlayerFactory, days

pytestmark = pytest.mark.django_db
START, END = T0 + days(10), T0 + days(20)
ADD = "/admin/history/competition/add/"


def admin_form(
    *,
    title="Admin race",
    metric="attack",
    kind="classic",
    starts_at=START,
    ends_at=END,
    participants="",
    teams="",
):
    """The admin's add/change POST (the inlines only show members: no forms in them)."""
    return {
        "title": title,
        "metric": metric,
        "kind": kind,
        "starts_at_0": starts_at.date().isoformat(),
        "starts_at_1": starts_at.time().isoformat(),
        "ends_at_0": ends_at.date().isoformat(),
        "ends_at_1": ends_at.time().isoformat(),
        "participants": participants,
        "teams": teams,
        "teams-TOTAL_FORMS": "0",
        "teams-INITIAL_FORMS": "0",
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
    }


@pytest.fixture
def players():
    return [PlayerFactory(username=f"Racer {i}", schedule=False) for i in range(4)]


def make(players, created=T0, **fields):
    values = {
        "title": "Race",
        "metric": "attack",
        "starts_at": START,
        "ends_at": END,
        "participants": [p.username for p in players],
    }
    values.update(fields)
    with time_machine.travel(created, tick=False):
        return services.competition_create(**values)


def change(client, competition, at, **fields):
    values = {
        "title": competition.title,
        "starts_at": competition.starts_at,
        "ends_at": competition.ends_at,
        # As a browser sends the textarea back: \r\n, and here in another order.
        "participants": "\r\n".join(
            competition.participations.order_by("-player__username_key").values_list(
                "player__username", flat=True
            )
        ),
        **fields,
    }
    with time_machine.travel(at, tick=False):
        return client.post(
            f"/admin/history/competition/{competition.pk}/change/", admin_form(**values)
        )


def refused(response, message):
    assert response.status_code == 200, response.status_code  # the form again, with its error
    assert message in response.content.decode()


def test_an_ongoing_competition_refuses_a_new_metric_and_an_earlier_start(admin_client, players):
    competition = make(players)
    during = START + days(1)
    refused(
        change(admin_client, competition, during, starts_at=START - days(1)),
        "An ongoing competition cannot change starts_at.",
    )
    change(admin_client, competition, during, metric="cooking")  # a disabled field: ignored
    competition.refresh_from_db()
    assert (competition.metric, competition.starts_at) == ("attack", START)


def test_a_finished_competition_is_never_reopened_nor_turned_into_a_team_one(admin_client, players):
    competition = make(players)
    after = END + days(1)
    with time_machine.travel(after, tick=False):
        from history.competitions.tasks import competition_end

        assert competition_end.run(competition.pk)["event_recorded"] is True
    refused(
        change(admin_client, competition, after, ends_at=END + days(5)),
        "A finished competition cannot change ends_at.",
    )
    change(admin_client, competition, after, kind="team")  # a disabled field: ignored
    response = change(admin_client, competition, after, title="Race (done)")
    assert response.status_code == 302
    competition.refresh_from_db()
    assert (competition.title, competition.kind, competition.ends_at) == (
        "Race (done)",
        "classic",
        END,
    )
    assert OutboxEvent.objects.filter(name=COMPETITION_ENDED).count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_at": START + days(731)}, "A competition lasts at most 366 days."),
        ({"participants": ""}, "A competition needs at least one participant."),
        ({"kind": "team"}, "A team competition needs at least 2 teams."),
        ({"kind": "team", "teams": "Solo: Racer 0"}, "A team competition needs at least 2 teams."),
        ({"participants": "Nobody Here"}, "Not tracked: &#x27;Nobody Here&#x27;."),
        ({"metric": "cooking_pots"}, "Unknown metric"),
        ({"ends_at": START - days(1)}, "ends_at must be after starts_at."),
        ({"teams": "Red: Racer 0\nBlue: Racer 1"}, "Only team competitions have teams."),
    ],
)
def test_the_add_form_refuses_what_the_api_refuses(admin_client, players, fields, message):
    values = {"participants": "Racer 0\nRacer 1", **fields}
    with time_machine.travel(T0, tick=False):
        refused(admin_client.post(ADD, admin_form(**values)), message)
    assert not Competition.objects.exists()


def test_the_add_form_creates_a_team_competition_through_the_service(admin_client, players):
    with time_machine.travel(T0, tick=False):
        response = admin_client.post(
            ADD,
            admin_form(kind="team", teams="Red: Racer 0, Racer 1\nBlue: Racer 2", participants=""),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    competition = Competition.objects.get()
    assert sorted(competition.teams.values_list("name", flat=True)) == ["Blue", "Red"]
    assert competition.participations.count() == 3
    assert competition.end_task_id is not None
    assert competition.participations.exclude(team=None).count() == 3


def test_the_change_form_edits_participants_of_an_upcoming_one_through_the_service(
    admin_client, players
):
    competition = make(players[:2])
    response = change(
        admin_client, competition, T0 + days(1), participants="Racer 1\nRacer 2\nRacer 3"
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(competition.participations.values_list("player__username", flat=True)) == [
        "Racer 1",
        "Racer 2",
        "Racer 3",
    ]
    # The clocked tasks followed (the service synced them): still the four of an upcoming one.
    competition.refresh_from_db()
    assert all(getattr(competition, field) for field in schedules.LINK_FIELDS.values())
