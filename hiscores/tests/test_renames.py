"""Name changes: POST /players/{username}/rename, its five checks, merge, history and lookups."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from hiscores import renames
from hiscores.integration.client import normalise_name
from hiscores.integration.errors import HiscoresUnavailable, PlayerNotFound
from hiscores.integration.results import Board
from hiscores.models import Snapshot
from osrs_diff.events import PLAYER_RENAMED
from osrs_diff.models import OutboxEvent
from players.game_modes import GameMode
from players.models import NameChange, Player
from tests.factories import PlayerFactory, SnapshotFactory, reading

pytestmark = pytest.mark.django_db

BASE = {"attack": 5_000_000}


class FakeBoards:
    """The hiscores as the rename sees them: (name, board) -> reading; anything else 404."""

    def __init__(self) -> None:
        self.readings: dict[tuple[str, str], object] = {}
        self.calls: list[tuple[str, str]] = []
        self.down = False
        self.before_answer = None  # a hook the concurrency test uses to line both threads up

    def put(self, name: str, values=None, *, at=None, board: Board = Board.REGULAR) -> None:
        at = at or timezone.now()
        self.readings[(normalise_name(name).lower(), str(board))] = reading(
            values or BASE, at=at, board=board
        )

    def drop(self, name: str, board: Board = Board.REGULAR) -> None:
        del self.readings[(normalise_name(name).lower(), str(board))]

    def __call__(self, name: str, board=Board.REGULAR):
        self.calls.append((name, str(board)))
        if self.before_answer is not None:
            self.before_answer()
        if self.down:
            raise HiscoresUnavailable("down", reason=HiscoresUnavailable.HTTP_STATUS)
        found = self.readings.get((normalise_name(name).lower(), str(board)))
        if found is None:
            raise PlayerNotFound(board=str(board))
        return found


@pytest.fixture
def boards(monkeypatch) -> FakeBoards:
    fake = FakeBoards()
    monkeypatch.setattr(renames, "hiscores_fetch", fake)
    return fake


@pytest.fixture
def zezima() -> Player:
    """A tracked player whose last snapshot (a day ago) the new name's reading continues."""
    player = PlayerFactory(username="Zezima")
    SnapshotFactory(player=player, values=BASE, at=timezone.now() - timedelta(days=1))
    return player


def rename(client, username: str, new: str, **options):
    return client.post(
        f"/players/{username}/rename", {"new_username": new, **options}, format="json"
    )


def failed_names(response) -> list[str]:
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["error_code"] == "name_change_rejected"
    return [check["name"] for check in body["details"]["failed_checks"]]


# --- accepted ----


def test_rename_accepted_keeps_player_history_and_schedule(auth_client, boards, zezima, user):
    boards.put("Zezima Two", {"attack": 5_100_000})
    task_id = zezima.fetch_task_id

    response = rename(auth_client, "Zezima", "Zezima Two")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["player"]["id"] == zezima.pk
    assert body["player"]["username"] == "Zezima Two"
    assert body["name_change"]["old_username"] == "Zezima"
    assert body["name_change"]["changed_by"] == user.username
    assert [c["passed"] for c in body["name_change"]["checks"]] == [True] * 5
    zezima.refresh_from_db()
    assert (zezima.username, zezima.username_key) == ("Zezima Two", "zezima two")
    assert zezima.fetch_task_id == task_id
    assert PeriodicTask.objects.get(pk=task_id).description == "Hiscores fetch for Zezima Two"
    # The old snapshot is kept and the reading that proved the rename is stored after it.
    assert Snapshot.objects.filter(player=zezima).count() == 2
    change = NameChange.objects.get(player=zezima)
    assert (change.old_username, change.new_username, change.forced) == (
        "Zezima",
        "Zezima Two",
        False,
    )
    event = OutboxEvent.objects.get(name=PLAYER_RENAMED)
    assert event.data == {
        "username": "Zezima Two",
        "old": "Zezima",
        "new": "Zezima Two",
        "merged": False,
    }


def test_force_skips_the_old_name_check_and_is_recorded(auth_client, boards, zezima):
    boards.put("Zezima")  # the hiscores still list the old name
    boards.put("Zezima Two")

    response = rename(auth_client, "Zezima", "Zezima Two", force=True)

    assert response.status_code == 200, response.json()
    change = NameChange.objects.get()
    assert change.forced is True
    assert change.checks[-1] == {
        "name": "old_name_gone",
        "passed": None,
        "detail": "Not checked: forced by the operator.",
    }
    assert ("Zezima", str(Board.REGULAR)) not in boards.calls


def test_rename_uses_the_players_own_board(auth_client, boards):
    player = PlayerFactory(username="Iron Guy", game_mode=GameMode.IRONMAN)
    boards.put("Iron Guy2")  # only on the regular board: not the ironman's board

    assert failed_names(rename(auth_client, "Iron Guy", "Iron Guy2")) == ["on_board"]

    boards.put("Iron Guy2", board=Board.IRONMAN)
    assert rename(auth_client, "Iron Guy", "Iron Guy2").status_code == 200
    player.refresh_from_db()
    assert player.username == "Iron Guy2"


# --- each check failing alone ----


def _nothing_changed(player: Player, username: str = "Zezima") -> None:
    player.refresh_from_db()
    assert player.username == username
    assert not NameChange.objects.exists()
    assert not OutboxEvent.objects.filter(name=PLAYER_RENAMED).exists()
    assert Snapshot.objects.filter(player=player).count() == 1


def test_invalid_new_name_is_rejected(auth_client, boards, zezima):
    response = rename(auth_client, "Zezima", "no/way!")

    assert failed_names(response) == ["name_valid"]
    assert boards.calls == []
    _nothing_changed(zezima)


def test_new_name_not_on_the_board_is_rejected(auth_client, boards, zezima):
    response = rename(auth_client, "Zezima", "Nobody")

    assert failed_names(response) == ["on_board"]
    checks = {c["name"]: c["passed"] for c in response.json()["details"]["checks"]}
    assert checks == {
        "name_valid": True,
        "on_board": False,
        "no_decrease": None,
        "xp_plausible": None,
        "old_name_gone": True,
    }
    _nothing_changed(zezima)


def test_new_name_with_a_lower_value_is_rejected(auth_client, boards, zezima):
    boards.put("Zezima Two", {"attack": 4_000_000})  # below the last snapshot: another account

    response = rename(auth_client, "Zezima", "Zezima Two")

    assert failed_names(response) == ["no_decrease"]
    detail = response.json()["details"]["failed_checks"][0]["detail"]
    assert "attack experience 5000000 -> 4000000" in detail
    _nothing_changed(zezima)


@pytest.mark.parametrize("limit, accepted", [(1_000_000, False), (5_000_000, True)])
def test_implausible_xp_gain_is_rejected(auth_client, boards, settings, limit, accepted):
    settings.NAME_CHANGE_MAX_XP_PER_HOUR = limit
    player = PlayerFactory(username="Zezima")
    now = timezone.now()
    SnapshotFactory(player=player, values=BASE, at=now - timedelta(hours=2))
    boards.put("Zezima Two", {"attack": 13_000_000}, at=now)  # +8M XP in 2 h

    response = rename(auth_client, "Zezima", "Zezima Two")

    if accepted:
        assert response.status_code == 200, response.json()
    else:
        assert failed_names(response) == ["xp_plausible"]
        _nothing_changed(player)


def test_old_name_still_on_the_hiscores_is_rejected(auth_client, boards, zezima):
    boards.put("Zezima")
    boards.put("Zezima Two")

    response = rename(auth_client, "Zezima", "Zezima Two")

    assert failed_names(response) == ["old_name_gone"]
    _nothing_changed(zezima)


def test_every_failed_check_is_listed(auth_client, boards, zezima):
    boards.put("Zezima")
    boards.put("Zezima Two", {"attack": 1})

    assert failed_names(rename(auth_client, "Zezima", "Zezima Two")) == [
        "no_decrease",
        "old_name_gone",
    ]


def test_hiscores_failure_answers_502_and_changes_nothing(auth_client, boards, zezima):
    boards.down = True

    response = rename(auth_client, "Zezima", "Zezima Two")

    assert response.status_code == 502
    assert response.json()["error_code"] == "hiscores_unavailable"
    _nothing_changed(zezima)


def test_rename_needs_the_change_permission(reader_client, boards, zezima):
    assert rename(reader_client, "Zezima", "Zezima Two").status_code == 403


# --- a new name already tracked, and merge ----


def test_new_name_tracked_as_another_player_is_409_without_merge(auth_client, boards, zezima):
    other = PlayerFactory(username="Zezima Two")
    boards.put("Zezima Two")

    response = rename(auth_client, "Zezima", "Zezima Two")

    assert response.status_code == 409
    assert response.json()["error_code"] == "name_taken"
    assert response.json()["details"] == {"id": other.pk, "username": "Zezima Two"}
    assert boards.calls == []
    assert Player.objects.count() == 2


def test_merge_folds_the_duplicate_history_in_order(auth_client, boards):
    now = timezone.now().replace(microsecond=0)
    hours = [now - timedelta(hours=h) for h in range(10, 0, -1)]  # hours[0] is the oldest
    player = PlayerFactory(username="Zezima")
    duplicate = PlayerFactory(username="Zezima Two")
    duplicate_task = duplicate.fetch_task_id
    SnapshotFactory(player=player, values={"attack": 5_000_000}, at=hours[0])
    SnapshotFactory(player=player, values={"attack": 5_010_000}, at=hours[2])
    SnapshotFactory(player=player, values={"attack": 5_030_000}, at=hours[5])
    # The same reading at the same time on both sides: one reading.
    SnapshotFactory(player=duplicate, values={"attack": 5_010_000}, at=hours[2])
    SnapshotFactory(player=duplicate, values={"attack": 5_020_000}, at=hours[3])
    # The same values as the row before it once interleaved: no progress, dropped.
    SnapshotFactory(player=duplicate, values={"attack": 5_020_000}, at=hours[4])
    SnapshotFactory(player=duplicate, values={"attack": 5_040_000}, at=hours[6])
    boards.put("Zezima Two", {"attack": 5_050_000}, at=hours[9])

    response = rename(auth_client, "Zezima", "Zezima Two", merge=True)

    assert response.status_code == 200, response.json()
    assert response.json()["name_change"]["merged_player_id"] == duplicate.pk
    assert not Player.objects.filter(pk=duplicate.pk).exists()
    assert not PeriodicTask.objects.filter(pk=duplicate_task).exists()
    history = list(
        Snapshot.objects.filter(player=player)
        .order_by("fetched_at")
        .values_list("fetched_at", "attack_experience")
    )
    assert history == [
        (hours[0], 5_000_000),
        (hours[2], 5_010_000),
        (hours[3], 5_020_000),
        (hours[5], 5_030_000),
        (hours[6], 5_040_000),
        (hours[9], 5_050_000),
    ]
    player.refresh_from_db()
    assert player.username == "Zezima Two"
    assert player.last_changed == hours[9]
    assert OutboxEvent.objects.get(name=PLAYER_RENAMED).data["merged"] is True


# --- name history and lookups by a former name ----


def test_names_lists_the_history_newest_first_and_former_names_find_the_player(
    auth_client, boards, zezima
):
    boards.put("Zezima Two")
    assert rename(auth_client, "Zezima", "Zezima Two").status_code == 200
    boards.drop("Zezima Two")
    boards.put("Zezima III")
    assert rename(auth_client, "Zezima Two", "Zezima III").status_code == 200

    names = auth_client.get("/players/zezima/names")
    detail = auth_client.get("/players/ZEZIMA_TWO")
    current = auth_client.get("/players/Zezima III")
    snapshots = auth_client.get("/players/Zezima/snapshots")

    assert names.status_code == 200
    assert [(n["old_username"], n["new_username"]) for n in names.json()["results"]] == [
        ("Zezima Two", "Zezima III"),
        ("Zezima", "Zezima Two"),
    ]
    assert detail.status_code == 200
    assert detail.json()["id"] == zezima.pk
    assert detail.json()["username"] == "Zezima III"
    assert detail.json()["former_name"] == "Zezima Two"
    assert current.json()["former_name"] is None
    assert snapshots.status_code == 200
    assert auth_client.get("/players/never-was").status_code == 404


def test_a_current_name_wins_over_a_former_one(auth_client, boards, zezima):
    boards.put("Zezima Two")
    assert rename(auth_client, "Zezima", "Zezima Two").status_code == 200
    newcomer = PlayerFactory(username="Zezima")

    body = auth_client.get("/players/zezima").json()

    assert (body["id"], body["former_name"]) == (newcomer.pk, None)


# --- the command ----


def test_command_renames_and_exits_0(boards, zezima, capsys):
    boards.put("Zezima Two")

    call_command("rename_player", "Zezima", "Zezima Two")

    assert "Renamed 'Zezima' to 'Zezima Two'" in capsys.readouterr().out
    zezima.refresh_from_db()
    assert zezima.username == "Zezima Two"


def test_command_exits_1_listing_the_failed_checks(boards, zezima, capsys):
    boards.put("Zezima")
    boards.put("Zezima Two", {"attack": 1})

    with pytest.raises(CommandError) as raised:
        call_command("rename_player", "Zezima", "Zezima Two")

    assert raised.value.returncode == 1
    err = capsys.readouterr().err
    assert "FAILED no_decrease" in err
    assert "FAILED old_name_gone" in err
    _nothing_changed(zezima)


def test_command_merge_and_force_flags(boards, zezima):
    duplicate = PlayerFactory(username="Zezima Two")
    boards.put("Zezima")
    boards.put("Zezima Two")

    with pytest.raises(CommandError):
        call_command("rename_player", "Zezima", "Zezima Two", "--force")
    call_command("rename_player", "Zezima", "Zezima Two", "--force", "--merge")

    assert not Player.objects.filter(pk=duplicate.pk).exists()
    assert NameChange.objects.get().merged_player_id == duplicate.pk


# --- the admin ----


def test_admin_rename_action_and_page(admin_client, boards, zezima):
    changelist = reverse("admin:players_player_changelist")
    redirect = admin_client.post(changelist, {"action": "rename", "_selected_action": [zezima.pk]})
    page_url = reverse("admin:players_player_rename", args=[zezima.pk])
    assert redirect.status_code == 302
    assert redirect["Location"] == page_url

    form = admin_client.get(page_url)
    assert form.status_code == 200
    assert "New name" in form.content.decode()

    boards.put("Zezima")
    rejected = admin_client.post(page_url, {"new_username": "Zezima Two"})
    assert rejected.status_code == 200
    text = rejected.content.decode()
    assert "The rename was not made" in text
    assert "Old name gone: " in text
    assert "On board: " in text

    boards.put("Zezima Two")
    done = admin_client.post(page_url, {"new_username": "Zezima Two", "force": "on"})
    assert done.status_code == 302
    zezima.refresh_from_db()
    assert zezima.username == "Zezima Two"

    change_page = admin_client.get(reverse("admin:players_player_change", args=[zezima.pk]))
    assert "name history" in change_page.content.decode().lower()
    assert "old_name_gone: not checked" in change_page.content.decode()
    assert "Zezima Two" in change_page.content.decode()


def test_admin_rename_action_needs_exactly_one_player(admin_client, zezima):
    PlayerFactory(username="Other")
    response = admin_client.post(
        reverse("admin:players_player_changelist"),
        {"action": "rename", "_selected_action": list(Player.objects.values_list("pk", flat=True))},
        follow=True,
    )
    assert "Select exactly one player to rename." in response.content.decode()


# --- concurrency ----


# available_apps: flush only these tables, no post_migrate (later tests restore content types).
@pytest.mark.django_db(
    transaction=True,
    available_apps=["players", "hiscores", "osrs_diff", "django_celery_beat"],
)
def test_two_renames_of_one_player_at_once_one_wins(boards):
    player = PlayerFactory(username="Zezima")
    SnapshotFactory(player=player, values=BASE, at=timezone.now() - timedelta(days=1))
    boards.put("Name A")
    boards.put("Name B")
    # Both renames have read the player and fetched their names before either writes.
    barrier = threading.Barrier(2, timeout=10)
    seen: set[int] = set()

    def line_up() -> None:
        ident = threading.get_ident()
        if ident not in seen:
            seen.add(ident)
            barrier.wait()

    boards.before_answer = line_up
    results: dict[str, object] = {}

    def run(new: str) -> None:
        try:
            stale = Player.objects.get(pk=player.pk)
            results[new] = renames.player_rename(player=stale, new_username=new)
        except Exception as exc:  # noqa: BLE001 - the loser's error is the assertion
            results[new] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("Name A", "Name B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["Conflict", "Rename"], results
    loser = next(r for r in results.values() if not isinstance(r, renames.Rename))
    assert loser.error_code == "renamed_meanwhile"
    player.refresh_from_db()
    winner = next(n for n, r in results.items() if isinstance(r, renames.Rename))
    assert player.username == winner
    assert NameChange.objects.count() == 1


def test_merge_leaves_the_players_own_history_alone_and_takes_the_duplicates_names(
    auth_client, boards, settings
):
    settings.SNAPSHOT_DEDUP_INCLUDE_RANKS = False
    now = timezone.now().replace(microsecond=0)
    player = PlayerFactory(username="Zezima")
    duplicate = PlayerFactory(username="Zezima Two")
    # Two rows of the player's own with the same values (stored when ranks counted): both kept.
    SnapshotFactory(player=player, values=BASE, at=now - timedelta(hours=5))
    SnapshotFactory(player=player, values=BASE, at=now - timedelta(hours=4), ranks={"attack": 9})
    NameChange.objects.create(
        player=duplicate, old_username="Dupe Old", old_username_key="dupe old", new_username="x"
    )
    boards.put("Zezima Two", at=now - timedelta(hours=3))

    response = rename(auth_client, "Zezima", "Zezima Two", merge=True)

    assert response.status_code == 200, response.json()
    assert Snapshot.objects.filter(player=player).count() == 2  # the rename's reading: unchanged
    assert auth_client.get("/players/Dupe Old").json()["id"] == player.pk
