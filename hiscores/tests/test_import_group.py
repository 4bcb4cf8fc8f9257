"""manage.py import_group NAME FILE: members from a file, the group created when needed, new
names tracked with --track-missing, a summary of every outcome."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from players.groups import services
from players.models import Group, GroupMembership, Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

LIST = """# Our clan
Zezima
  lynx_titan   # a comment after a name

ZEZIMA
New Guy
bad!name
"""


def _run(*args, **options) -> str:
    out = io.StringIO()
    call_command("import_group", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def _members(name: str) -> set[str]:
    return set(
        GroupMembership.objects.filter(group__name=name).values_list("player__username", flat=True)
    )


@pytest.fixture
def member_list(tmp_path):
    path = tmp_path / "clan.txt"
    path.write_text(LIST, encoding="utf-8")
    return path


def test_it_creates_the_group_and_adds_the_tracked_names(member_list):
    PlayerFactory(username="Zezima", schedule=False)
    PlayerFactory(username="Lynx Titan", schedule=False)
    out = _run("Iron Clan", str(member_list), "--no-progress")
    assert Group.objects.get().name == "Iron Clan"
    assert _members("Iron Clan") == {"Zezima", "Lynx Titan"}
    assert "Created group 'Iron Clan'" in out
    assert "Read 4 names (1 repeated lines skipped); 'Iron Clan' now has 2 members." in out
    assert "added: 2" in out
    assert "not_tracked: 1" in out and "  New Guy" in out
    assert "invalid: 1" in out and "bad!name" in out
    assert not Player.objects.filter(username_key="new guy").exists()


def test_a_rerun_is_safe_and_uses_the_existing_group_in_any_case(member_list):
    PlayerFactory(username="Zezima", schedule=False)
    services.group_create(name="Iron Clan")
    _run("Iron Clan", str(member_list), "--no-progress")
    out = _run("IRON CLAN", str(member_list), "--no-progress")
    assert Group.objects.count() == 1
    assert "already_member: 1" in out and "Created" not in out
    assert GroupMembership.objects.count() == 1


def test_track_missing_tracks_new_names_through_the_add_path(member_list, hiscores_http):
    PlayerFactory(username="Zezima", schedule=False)
    hiscores_http.add("New Guy", regular=1000)
    hiscores_http.add("Lynx Titan", regular=4_600_000_000)
    out = _run("Clan", str(member_list), "--track-missing", "--role", "member", "--no-progress")
    assert _members("Clan") == {"Zezima", "lynx_titan", "New Guy"}  # tracked as written
    assert "tracked_and_added: 2" in out and "added: 1" in out
    assert set(GroupMembership.objects.values_list("role", flat=True)) == {"member"}
    assert Player.objects.get(username_key="new guy").fetch_task is not None


def test_small_batches_give_the_same_result(member_list, hiscores_http):
    hiscores_http.add("Zezima", regular=1000)
    out = _run("Clan", str(member_list), "--track-missing", "--batch-size", "1", "--no-progress")
    assert _members("Clan") == {"Zezima"}
    assert "not_found: 2" in out  # Lynx Titan and New Guy are on no board here


def test_dry_run_stores_nothing(member_list):
    PlayerFactory(username="Zezima", schedule=False)
    out = _run("Clan", str(member_list), "--dry-run")
    assert "1 tracked" in out and "would be created" in out
    assert Group.objects.count() == 0


def test_a_missing_file_or_bad_batch_size_is_a_command_error(tmp_path, member_list):
    with pytest.raises(CommandError, match="No such file"):
        _run("Clan", str(tmp_path / "nope.txt"))
    with pytest.raises(CommandError, match="batch-size"):
        _run("Clan", str(member_list), "--batch-size", "0")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CommandError, match="UTF-8"):
        _run("Clan", str(binary))
    with pytest.raises(CommandError):
        _run("   ", str(member_list))  # a blank group name
    assert Group.objects.count() == 0
