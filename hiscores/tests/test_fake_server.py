import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command

from hiscores.integration import shared as hiscores
from hiscores.integration.client import HiscoresClient
from hiscores.integration.errors import HiscoresUnavailable, PlayerNotFound
from hiscores.integration.fake_data import player_file_name
from hiscores.integration.parsing import parse_hiscores
from hiscores.integration.results import Board

SHARED = Path(settings.BASE_DIR).parent / "shared" / "fixtures" / "hiscores"


def _every_board(fetch, name):
    """The player on each board, None where the board answers 404."""
    boards = {}
    for board in Board:
        try:
            boards[board] = fetch(name, board)
        except PlayerNotFound:
            boards[board] = None
    return boards


@pytest.fixture
def http():
    """A plain HTTP client for looking at raw answers (no TLS set-up cost)."""
    with httpx.Client(verify=False) as c:
        yield c


def test_the_fixture_points_the_shared_client_at_the_fake_server(fake_hiscores):
    fake_hiscores.add_player("Lynx Titan", stats={"attack": 13_034_431, "zulrah": 3})

    result = hiscores.fetch("Lynx Titan")

    assert hiscores.get_client().base_url == fake_hiscores.url
    assert result.skills["attack"].level == 99 and result.bosses["zulrah"].score == 3
    (request,) = fake_hiscores.requests
    assert request.board == "hiscore_oldschool" and request.player == "Lynx Titan"
    assert request.user_agent == settings.OSRS_HISCORES_USER_AGENT


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared hiscores fixtures absent")
def test_it_answers_like_the_real_responses(fake_hiscores, http):
    for path in sorted(SHARED.glob("*.json")):
        raw = json.loads(path.read_bytes())
        fake_hiscores.add_player(path.stem.removesuffix("_hiscores"), body=raw)
        expected = parse_hiscores(path.read_bytes())

        answer = http.get(
            f"{fake_hiscores.url}/m=hiscore_oldschool/index_lite.json",
            params={"player": path.stem.removesuffix("_hiscores")},
        )

        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json() == raw
        fetched = hiscores.fetch(path.stem.removesuffix("_hiscores"))
        assert (fetched.skills, fetched.activities, fetched.bosses) == (
            expected.skills,
            expected.activities,
            expected.bosses,
        )


def test_an_unknown_player_is_a_404_html_page(fake_hiscores, http):
    answer = http.get(
        f"{fake_hiscores.url}/m=hiscore_oldschool_ironman/index_lite.json",
        params={"player": "nobody"},
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert b"<html" in answer.content
    with pytest.raises(PlayerNotFound):
        hiscores.fetch("nobody", Board.IRONMAN)
    assert http.get(f"{fake_hiscores.url}/m=nope/index_lite.json?player=x").status_code == 404


def test_names_match_like_the_real_hiscores(fake_hiscores):
    assert player_file_name("Lynx Titan") == "lynx_titan.json"
    fake_hiscores.add_player("lynx titan", stats={"attack": 83})
    for name in ("Lynx Titan", "lynx_titan", "LYNX-TITAN", " Lynx  Titan "):
        assert hiscores.fetch(name).skills["attack"].level == 2


def test_a_player_is_only_on_the_boards_it_has_files_for(fake_hiscores):
    fake_hiscores.add_player("Iron Ida", stats={"attack": 500})
    fake_hiscores.add_player("Iron Ida", board=Board.IRONMAN, stats={"attack": 500})

    boards = _every_board(hiscores.fetch, "Iron Ida")

    assert boards[Board.REGULAR] and boards[Board.IRONMAN]
    assert boards[Board.HARDCORE] is None and boards[Board.ULTIMATE] is None
    assert fake_hiscores.count(player="Iron Ida") == 4


def test_a_player_progresses_per_request(fake_hiscores):
    fake_hiscores.add_player("Grinder", stats={"attack": 0}, gains={"attack": 100, "zulrah": 1})
    readings = [hiscores.fetch("Grinder") for _ in range(3)]
    assert [r.skills["attack"].experience for r in readings] == [0, 100, 200]
    assert [r.bosses["zulrah"].score for r in readings] == [None, 1, 2]
    assert [r.overall.experience for r in readings] == [0, 100, 200]


def test_a_player_progresses_per_minute(fake_hiscores):
    fake_hiscores.add_player("Afk", stats={"fishing": 1_000}, gains={"fishing": 50}, per="minute")
    with time_machine.travel(time.time(), tick=False) as traveller:
        fake_hiscores.reset()  # the minute clock starts now
        first = hiscores.fetch("Afk").skills["fishing"].experience
        again = hiscores.fetch("Afk").skills["fishing"].experience
        traveller.shift(150)
        later = hiscores.fetch("Afk").skills["fishing"].experience
    assert (first, again, later) == (1_000, 1_000, 1_100)


def test_a_hardcore_who_dies_freezes_on_the_hardcore_board(fake_hiscores):
    gains = {"slayer": 1_000}
    for board in (Board.REGULAR, Board.IRONMAN):
        fake_hiscores.add_player("Hc Hank", board=board, stats={"slayer": 0}, gains=gains)
    fake_hiscores.add_player(
        "Hc Hank", board=Board.HARDCORE, stats={"slayer": 0}, gains=gains, freeze_after=1
    )

    sweeps = [_every_board(hiscores.fetch, "Hc Hank") for _ in range(3)]

    xp = [{b: r.skills["slayer"].experience for b, r in s.items() if r} for s in sweeps]
    assert [x[Board.IRONMAN] for x in xp] == [0, 1_000, 2_000]
    assert [x[Board.HARDCORE] for x in xp] == [0, 1_000, 1_000]
    assert all(s[Board.ULTIMATE] is None for s in sweeps)


def test_a_de_ironed_player_freezes_on_the_ironman_board(fake_hiscores):
    fake_hiscores.add_player("Ex Iron", stats={"mining": 0}, gains={"mining": 10})
    fake_hiscores.add_player(
        "Ex Iron", board=Board.IRONMAN, stats={"mining": 0}, gains={"mining": 10}, freeze_after=0
    )
    _every_board(hiscores.fetch, "Ex Iron")
    boards = _every_board(hiscores.fetch, "Ex Iron")
    assert boards[Board.REGULAR].skills["mining"].experience == 10
    assert boards[Board.IRONMAN].skills["mining"].experience == 0


def test_a_player_can_disappear(fake_hiscores):
    fake_hiscores.add_player("Banned", stats={"attack": 5}, remove_after=1)
    hiscores.fetch("Banned")
    with pytest.raises(PlayerNotFound):
        hiscores.fetch("Banned")
    fake_hiscores.add_player("Gone", stats={})
    fake_hiscores.remove_player("Gone")
    with pytest.raises(PlayerNotFound):
        hiscores.fetch("Gone")


@pytest.mark.parametrize(
    ("mode", "status", "reason"),
    [
        ("503", 503, "http_status"),
        ("500", 500, "http_status"),
        ("429", 429, "http_status"),
        ("html", 200, "malformed_body"),
        ("truncated", 200, "malformed_body"),
        ("empty", 200, "malformed_body"),
        ("disconnect", None, "connection_error"),
    ],
)
def test_scripted_failures_look_like_the_real_ones(fake_hiscores, mode, status, reason):
    fake_hiscores.add_player("Zezima", stats={"attack": 1})
    client = HiscoresClient(base_url=fake_hiscores.url)
    # A reset connection is retried once at once by the client: script it twice.
    fake_hiscores.fail_next(*[mode] * (2 if mode == "disconnect" else 1))

    with pytest.raises(HiscoresUnavailable) as exc:
        client.fetch("Zezima")

    assert exc.value.reason == reason
    assert fake_hiscores.requests[-1].status == status
    assert client.fetch("Zezima").skills["attack"].experience == 1  # the next one is fine
    client.close()


def test_a_slow_answer_is_a_timeout(fake_hiscores):
    fake_hiscores.add_player("Zezima", stats={"attack": 1})
    fake_hiscores.slow_seconds = 0.6
    client = HiscoresClient(base_url=fake_hiscores.url, read_timeout=0.2)
    fake_hiscores.fail_next("slow")
    with pytest.raises(HiscoresUnavailable) as exc:
        client.fetch("Zezima")
    assert exc.value.reason == "timeout"
    client.close()


def test_the_shared_client_makes_one_attempt_per_call(fake_hiscores):
    fake_hiscores.add_player("Zezima", stats={"attack": 1})
    fake_hiscores.fail_next("503", "truncated", "html", player="Zezima")

    for _ in range(3):
        with pytest.raises(HiscoresUnavailable):
            hiscores.fetch("Zezima")  # no retry inside: the Celery task retries
    assert hiscores.fetch("Zezima").skills["attack"].experience == 1
    assert [r.status for r in fake_hiscores.requests] == [503, 200, 200, 200]


def test_a_failure_rate_fails_that_fraction_of_requests(fake_hiscores, http):
    fake_hiscores.add_player("Zezima", stats={"attack": 1})
    fake_hiscores.set_failures(0.3, ["503"])
    for _ in range(100):
        http.get(f"{fake_hiscores.url}/m=hiscore_oldschool/index_lite.json?player=zezima")
    failed = sum(1 for r in fake_hiscores.requests if r.status == 503)
    assert 15 <= failed <= 45
    fake_hiscores.set_failures(1.0, ["503"])
    with pytest.raises(HiscoresUnavailable):
        hiscores.fetch("Zezima")
    with pytest.raises(ValueError):
        fake_hiscores.set_failures(0.5, ["teapot"])


def test_latency_delays_every_answer(fake_hiscores):
    fake_hiscores.add_player("Zezima", stats={"attack": 1})
    fake_hiscores.latency_ms = 150
    started = time.perf_counter()
    hiscores.fetch("Zezima")
    assert time.perf_counter() - started >= 0.15


def test_the_command_rejects_unknown_failure_modes(tmp_path):
    with pytest.raises(CommandError, match="fail modes"):
        call_command("fake_hiscores", "--data", str(tmp_path), "--fail-modes", "teapot")


def test_the_command_serves_the_sample_players(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "osrs_diff.settings", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "fake_hiscores", "--data", str(tmp_path), "--sample"]
        + ["--port", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        for line in proc.stdout:
            if match := re.search(r"Fake hiscores on (http://\S+)", line):
                url = match[1]
                break
        assert url, "the server did not start"
        client = HiscoresClient(base_url=url)
        boards = _every_board(client.fetch, "Demo HCIM")
        assert boards[Board.HARDCORE] is not None and boards[Board.ULTIMATE] is None
        assert client.fetch("Demo Maxed").overall.experience == 24 * 200_000_000
        with pytest.raises(PlayerNotFound):
            client.fetch("Demo Nobody")
        client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (tmp_path / "hiscore_oldschool_hardcore_ironman" / "demo_hcim.json").exists()
