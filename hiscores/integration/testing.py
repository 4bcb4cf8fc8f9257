"""Pytest fixtures of the hiscores app (registered in the root conftest.py via `pytest_plugins`).

`fake_hiscores` starts the fake hiscores server on a free loopback port with an empty data
directory, points `settings.OSRS_HISCORES_BASE_URL` and the shared client at it (rate limit off,
millisecond retry delays, 1 s timeouts) and yields the `FakeHiscoresServer`:

    def test_it_tracks(fake_hiscores):
        fake_hiscores.add_player("Lynx Titan", stats={"attack": 200_000_000})
        fake_hiscores.add_player("Iron Dude", board=Board.IRONMAN, stats={...}, gains={...})
        fake_hiscores.fail_next("503", "truncated")
        fake_hiscores.set_failures(0.5, ["slow"])
        ...
        assert fake_hiscores.count(player="Lynx Titan") == 1

`hiscores_http` answers at the httpx transport instead (respx), from a `HiscoresWorld` of who is
on which board with what Overall XP (`DOWN` makes a board answer 503); no rate limit or sleeps:

    def test_it_detects_ironmen(hiscores_http):
        hiscores_http.add("Iron Bob", regular=5000, ironman=5000)
        ...
        assert hiscores_http.total_requests == 2
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
import respx
from httpx import Response

from hiscores.integration.catalogue import SKILL_KEYS, get_metric
from hiscores.integration.client import normalise_name
from hiscores.integration.results import Board


@pytest.fixture
def fake_hiscores(tmp_path, settings):
    from hiscores.integration.fake_server import FakeHiscoresServer
    from hiscores.integration.shared import reset_client

    server = FakeHiscoresServer(tmp_path / "fake_hiscores", slow_seconds=2.0, seed=1234).start()
    settings.OSRS_HISCORES_BASE_URL = server.url
    settings.OSRS_HISCORES_RATE = 0
    settings.OSRS_HISCORES_RETRY_DELAYS = [0.001, 0.002, 0.004, 0.008, 0.016]
    settings.OSRS_HISCORES_RETRY_JITTER = 0.0
    settings.OSRS_HISCORES_CONNECT_TIMEOUT = 1.0
    settings.OSRS_HISCORES_READ_TIMEOUT = 1.0
    reset_client()
    try:
        yield server
    finally:
        server.stop()
        reset_client()


# --- hiscores_http: answered at the httpx transport (respx) ----

BASE_URL = "https://hiscores.test"
DOWN = "down"


def hiscores_body(overall_xp: int | None) -> dict:
    """An index_lite.json body built from the metric catalogue; only Overall carries a value."""
    skills = [{"name": "Overall", "rank": 1000, "level": 2000, "xp": overall_xp or -1}]
    if overall_xp is None:
        skills[0].update(rank=-1, level=-1)
    skills += [
        {"name": get_metric(key).hiscores_name, "rank": -1, "level": 1, "xp": -1}
        for key in SKILL_KEYS
        if key != "overall"
    ]
    return {"skills": skills, "activities": []}


@dataclass
class HiscoresWorld:
    """Who is on which board with what Overall XP; DOWN makes that board answer 503."""

    boards: dict[Board, dict[str, int | None | str]] = field(
        default_factory=lambda: {board: {} for board in Board}
    )
    requests: Counter = field(default_factory=Counter)

    def add(
        self,
        name: str,
        *,
        regular: int | None | str = None,
        ironman: int | None | str = None,
        hardcore: int | None | str = None,
        ultimate: int | None | str = None,
    ) -> None:
        """Put a player on the boards given (an int is its Overall XP; None = not there)."""
        key = normalise_name(name).lower()
        for board, value in (
            (Board.REGULAR, regular),
            (Board.IRONMAN, ironman),
            (Board.HARDCORE, hardcore),
            (Board.ULTIMATE, ultimate),
        ):
            if value is not None:
                self.boards[board][key] = value
            else:
                self.boards[board].pop(key, None)

    def answer(self, request, board: Board) -> Response:
        self.requests[board] += 1
        key = normalise_name(request.url.params["player"]).lower()
        value = self.boards[board].get(key)
        if value is None:
            return Response(404, text="Not found")
        if value == DOWN:
            return Response(503, text="Service unavailable")
        return Response(200, json=hiscores_body(value))

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


@pytest.fixture
def hiscores_http(settings):
    """A respx-mocked hiscores with no rate limit, retries or sleeps; yields the world."""
    import redis

    from hiscores.integration.shared import reset_client

    settings.OSRS_HISCORES_BASE_URL = BASE_URL
    settings.OSRS_HISCORES_RATE = 0
    settings.OSRS_HISCORES_RETRY_DELAYS = ()
    settings.OSRS_HISCORES_BREAKER_THRESHOLD = 10_000
    if settings.REDIS_URL:  # the breaker state of earlier tests must not leak into this one
        conn = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(conn.scan_iter("osrs_diff:hiscores:*"))
        if keys:
            conn.delete(*keys)
        conn.close()
    reset_client()
    world = HiscoresWorld()
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        for board in Board:
            mock.get(f"/m={board.value}/index_lite.json").mock(
                side_effect=lambda request, board=board: world.answer(request, board)
            )
        yield world
    reset_client()
