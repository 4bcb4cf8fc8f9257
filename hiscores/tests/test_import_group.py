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


# --- Outside tester (issue 19): byte order mark, long lines, a neutral progress bar ----


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    PlayerFactory(username="Demo Maxed", schedule=False)
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfDemo Maxed\nZezima\n")
    out = _run("Clan", str(path), "--no-progress")
    assert _members("Clan") == {"Demo Maxed"}
    assert "invalid" not in out and "not_tracked: 1" in out


def test_a_byte_order_mark_on_standard_input_is_dropped_too(monkeypatch):
    PlayerFactory(username="Demo Maxed", schedule=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("\ufeffDemo Maxed\n"))
    _run("Clan", "-", "--no-progress")
    assert _members("Clan") == {"Demo Maxed"}


def test_other_encodings_are_still_refused(tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Zézima\n".encode("latin-1"))
    with pytest.raises(CommandError, match="UTF-8"):
        _run("Clan", str(latin1))


def test_a_huge_invalid_line_is_echoed_shortened(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text("x" * 100_000 + "\n", encoding="utf-8")
    out = _run("Clan", str(path), "--no-progress")
    assert "invalid: 1" in out
    assert "x" * 41 not in out
    assert "... (100000 characters)" in out
    assert len(out) < 1000


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_on_a_terminal_is_not_red(member_list):
    from hiscores.management.commands.import_group import Command

    PlayerFactory(username="Zezima", schedule=False)
    terminal = _Terminal()
    # As from a shell: stderr is a terminal in colour, so error messages would be red.
    command = Command(stdout=io.StringIO(), stderr=terminal, force_color=True)
    assert "\x1b[" in command.style.ERROR("x") and command.stderr.isatty()
    call_command(command, "Clan", str(member_list))
    drawn = terminal.getvalue()
    assert "4/4" in drawn  # the bar was drawn, to stderr
    assert "\x1b[31" not in drawn and "\x1b[1;31" not in drawn
