import pickle
import time

import httpx
import pytest
import respx
import time_machine

from hiscores.integration.breaker import CircuitBreaker
from hiscores.integration.client import HiscoresClient
from hiscores.integration.errors import HiscoresUnavailable, PlayerNotFound
from hiscores.integration.fakes import dumps_body, make_hiscores_body
from hiscores.integration.ratelimit import RateLimiter
from hiscores.integration.results import Board
from hiscores.integration.state import LocalStore
from osrs_diff.exceptions import ServiceError

BASE = "https://hiscores.test"
URL = f"{BASE}/m=hiscore_oldschool/index_lite.json"
BODY = dumps_body(make_hiscores_body({"attack": 1_000_000, "zulrah": 12}))


class Sleeps(list):
    """Records requested sleeps instead of sleeping."""

    def __call__(self, seconds):
        self.append(round(seconds, 6))


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def breaker():
    return CircuitBreaker(store=LocalStore(), threshold=5, cooldown=30)


@pytest.fixture
def client(breaker):
    c = HiscoresClient(
        base_url=BASE, user_agent="osrs-diff-tests/1.0 (ops@example.com)", breaker=breaker
    )
    yield c
    c.close()


@respx.mock
def test_it_fetches_one_board_with_a_descriptive_user_agent(client):
    route = respx.get(URL).respond(200, content=BODY)

    result = client.fetch("Lynx_Titan")

    request = route.calls.last.request
    assert request.url.params["player"] == "Lynx Titan"
    assert request.headers["User-Agent"] == "osrs-diff-tests/1.0 (ops@example.com)"
    assert result.board is Board.REGULAR
    assert result.skills["attack"].experience == 1_000_000
    assert result.bosses["zulrah"].score == 12


@respx.mock
@pytest.mark.parametrize("board", list(Board))
def test_it_asks_the_board_it_is_told(client, board):
    route = respx.get(f"{BASE}/m={board.value}/index_lite.json").respond(200, content=BODY)
    assert client.fetch("zezima", board).board is board
    assert route.call_count == 1


@respx.mock
def test_404_is_player_not_found_and_never_retried(client, sleeps, breaker):
    route = respx.get(URL).respond(404, html="<html><body>Page not found</body></html>")

    with pytest.raises(PlayerNotFound) as exc:
        client.fetch("nobody here")

    assert route.call_count == 1 and sleeps == []
    assert exc.value.status_code == 404 and exc.value.error_code == "player_not_on_hiscores"
    assert breaker.state()["consecutive_failures"] == 0


def test_an_impossible_name_is_not_found_without_a_request(client):
    with respx.mock(assert_all_called=False) as mock:
        route = mock.get(URL).respond(200, content=BODY)
        for name in ("", "   ", "a" * 13):
            with pytest.raises(PlayerNotFound):
                client.fetch(name)
        assert route.call_count == 0


TRANSIENT = [
    pytest.param({"status_code": 500}, "http_status", id="500"),
    pytest.param({"status_code": 502}, "http_status", id="502"),
    pytest.param({"status_code": 503, "html": "<h1>Unavailable</h1>"}, "http_status", id="503"),
    pytest.param({"status_code": 429}, "http_status", id="429"),
    pytest.param({"status_code": 403, "html": "blocked"}, "http_status", id="403"),
    pytest.param(
        {"status_code": 200, "html": "<html>maintenance</html>"}, "malformed_body", id="html-200"
    ),
    pytest.param({"status_code": 200, "content": BODY[:500]}, "malformed_body", id="truncated"),
    pytest.param({"status_code": 200, "content": b""}, "malformed_body", id="empty"),
    pytest.param(httpx.ReadTimeout("slow"), "timeout", id="read-timeout"),
    pytest.param(httpx.ConnectTimeout("slow"), "timeout", id="connect-timeout"),
    pytest.param(httpx.ConnectError("refused"), "connection_error", id="connect-error"),
    pytest.param(httpx.RemoteProtocolError("reset"), "connection_error", id="disconnect"),
]


@respx.mock
@pytest.mark.parametrize(("answer", "reason"), TRANSIENT)
def test_a_transient_failure_is_one_attempt_then_raised_without_sleeping(client, answer, reason):
    route = respx.get(URL)
    if isinstance(answer, Exception):
        route.side_effect = answer
    else:
        route.respond(**answer)

    with pytest.raises(HiscoresUnavailable) as exc:
        client.fetch("zezima")

    assert exc.value.reason == reason
    assert exc.value.status_code == 502 and exc.value.error_code == "hiscores_unavailable"
    # One attempt; a reset connection is retried once at once (a stale keep-alive connection).
    assert route.call_count == (2 if isinstance(answer, httpx.RemoteProtocolError) else 1)
    assert client.breaker.state()["consecutive_failures"] == 1


@respx.mock
def test_a_reset_connection_is_retried_once_immediately(client):
    route = respx.get(URL)
    route.side_effect = [httpx.ReadError("connection reset"), httpx.Response(200, content=BODY)]

    result = client.fetch("zezima")

    assert result.skills["attack"].experience == 1_000_000 and route.call_count == 2
    assert client.breaker.state()["consecutive_failures"] == 0


@respx.mock
def test_the_client_never_sleeps_on_a_retry_after(client, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: pytest.fail("the client slept"))
    respx.get(URL).respond(429, headers={"Retry-After": "7"})
    with pytest.raises(HiscoresUnavailable) as exc:
        client.fetch("zezima")
    assert exc.value.retry_after == 7


@respx.mock
def test_a_deadline_caps_the_rate_limit_wait_and_answers_rate_limited(sleeps):
    limiter = RateLimiter(store=LocalStore(), rate=0.5, max_wait=30, sleep=sleeps)
    client = HiscoresClient(base_url=BASE, limiter=limiter)
    route = respx.get(URL).respond(200, content=BODY)

    with time_machine.travel("2026-11-20 12:00:00Z", tick=False):
        for name in "abc":
            client.fetch(name)  # slots now, in 2 s and in 4 s (sleeps are recorded only)
        with pytest.raises(HiscoresUnavailable) as exc:
            client.fetch("d", deadline=time.monotonic() + 5)  # slot in 6 s: past the deadline
    assert exc.value.reason == "rate_limited" and exc.value.retry_after == 6.0
    assert exc.value.status_code == 503 and exc.value.error_code == "rate_limited"
    assert route.call_count == 3
    client.close()


@respx.mock
def test_the_breaker_opens_after_five_failures_fails_fast_and_recovers():
    breaker = CircuitBreaker(store=LocalStore(), threshold=5, cooldown=30)
    client = HiscoresClient(base_url=BASE, breaker=breaker)
    route = respx.get(URL).respond(503)

    with time_machine.travel("2026-11-20 12:00:00Z", tick=False) as traveller:
        for _ in range(5):
            with pytest.raises(HiscoresUnavailable):
                client.fetch("zezima")
        assert breaker.state()["state"] == "open"

        # Open: fails fast, nothing is sent.
        with pytest.raises(HiscoresUnavailable) as exc:
            client.fetch("zezima")
        assert exc.value.reason == "circuit_open" and exc.value.retry_after == 30
        assert route.call_count == 5

        traveller.shift(29)
        with pytest.raises(HiscoresUnavailable, match="circuit breaker is open"):
            client.fetch("zezima")
        assert route.call_count == 5

        # After the cooldown one probe goes out; it fails, so the breaker opens again.
        traveller.shift(2)
        with pytest.raises(HiscoresUnavailable) as exc:
            client.fetch("zezima")
        assert exc.value.reason == "http_status" and route.call_count == 6
        assert breaker.state()["state"] == "open"

        # Next probe succeeds: closed, and requests flow again.
        traveller.shift(31)
        route.respond(200, content=BODY)
        client.fetch("zezima")
        assert breaker.state() | {"backend": None} == {
            "backend": None,
            "state": "closed",
            "consecutive_failures": 0,
            "opened_at": None,
            "threshold": 5,
            "cooldown_seconds": 30.0,
        }
        client.fetch("zezima")
        assert route.call_count == 8
    client.close()


@respx.mock
def test_an_open_breaker_does_not_take_a_rate_limit_slot(sleeps):
    store = LocalStore()
    breaker = CircuitBreaker(store=store, threshold=1)
    limiter = RateLimiter(store=store, rate=0.5, max_wait=10, sleep=sleeps)
    client = HiscoresClient(base_url=BASE, breaker=breaker, limiter=limiter)
    respx.get(URL).respond(503)
    with time_machine.travel("2026-11-20 12:00:00Z", tick=False):
        with pytest.raises(HiscoresUnavailable):
            client.fetch("zezima")
        waits_before = limiter.estimated_wait_seconds()
        with pytest.raises(HiscoresUnavailable, match="circuit"):
            client.fetch("zezima")
        assert limiter.estimated_wait_seconds() == waits_before == 2.0
    client.close()


@respx.mock
def test_a_full_rate_limit_queue_fails_without_sending(sleeps):
    limiter = RateLimiter(store=LocalStore(), rate=0.5, max_wait=3, sleep=sleeps)
    client = HiscoresClient(base_url=BASE, limiter=limiter)
    route = respx.get(URL).respond(200, content=BODY)

    with time_machine.travel("2026-11-20 12:00:00Z", tick=False):
        client.fetch("a")  # slot now
        client.fetch("b")  # slot in 2 s (the fake sleep does not move the clock)
        with pytest.raises(HiscoresUnavailable) as exc:
            client.fetch("c")  # slot in 4 s > 3 s
    assert exc.value.reason == "rate_limited"
    assert exc.value.retry_after == 4.0
    assert route.call_count == 2 and sleeps == [2.0]  # rate limited is not retried
    client.close()


def test_errors_fit_the_api_error_format_and_survive_serialisation():
    exc = HiscoresUnavailable("down", reason="timeout", retry_after=2.5)
    assert isinstance(exc, ServiceError)
    assert exc.details == {"reason": "timeout", "retry_after_seconds": 2.5}
    # Celery rebuilds exceptions from their args; pickling must work too.
    assert str(type(exc)(*exc.args)) == "down"
    assert pickle.loads(pickle.dumps(exc)).reason == "timeout"
    missing = PlayerNotFound("gone", board="hiscore_oldschool")
    assert str(type(missing)(*missing.args)) == "gone"
    assert pickle.loads(pickle.dumps(missing)).board == "hiscore_oldschool"
