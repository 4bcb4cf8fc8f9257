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
"""

from __future__ import annotations

import pytest


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
