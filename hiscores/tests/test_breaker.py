import logging

import pytest
from django.conf import settings

from hiscores.integration.breaker import CircuitBreaker
from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.shared import reset_client
from hiscores.integration.state import FileStore, RedisStore


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(params=["redis", "file"])
def store(request, tmp_path):
    if request.param == "redis":
        s = RedisStore(settings.REDIS_URL)  # the test Redis db, flushed around each test
        yield s
        s.close()
    else:
        yield FileStore(tmp_path / "state")  # embedded mode (no Redis)


@pytest.fixture
def clock():
    return Clock()


def make(store, clock, **kwargs):
    return CircuitBreaker(
        store=store, threshold=5, cooldown=30, probe_timeout=60, clock=clock, **kwargs
    )


def fail(breaker, times):
    for _ in range(times):
        breaker.before_request()
        breaker.record_failure()


def test_it_opens_after_five_consecutive_failures(store, clock):
    breaker = make(store, clock)
    fail(breaker, 4)
    assert breaker.state()["state"] == "closed"
    assert breaker.state()["consecutive_failures"] == 4

    fail(breaker, 1)

    state = breaker.state()
    assert state["state"] == "open" and state["retry_in_seconds"] == 30
    with pytest.raises(HiscoresUnavailable) as exc:
        breaker.before_request()
    assert exc.value.reason == "circuit_open"
    with pytest.raises(HiscoresUnavailable):
        breaker.check()


def test_a_success_resets_the_streak(store, clock):
    breaker = make(store, clock)
    fail(breaker, 4)
    breaker.record_success()
    fail(breaker, 4)
    assert breaker.state()["state"] == "closed"


def test_every_process_shares_the_state(store, clock):
    # Two breakers on one store stand for two workers.
    first, second = make(store, clock), make(store, clock)
    fail(first, 3)
    fail(second, 2)
    with pytest.raises(HiscoresUnavailable):
        first.before_request()


def test_after_the_cooldown_exactly_one_probe_goes_out(store, clock):
    first, second = make(store, clock), make(store, clock)
    fail(first, 5)
    clock.now += 29.9
    with pytest.raises(HiscoresUnavailable):
        first.before_request()

    clock.now += 0.1
    first.before_request()  # the probe
    assert first.state()["state"] == "half_open"
    with pytest.raises(HiscoresUnavailable):
        second.before_request()  # someone else is probing

    first.record_success()
    assert second.state()["state"] == "closed"
    second.before_request()


def test_a_failed_probe_opens_the_breaker_again(store, clock):
    breaker = make(store, clock)
    fail(breaker, 5)
    clock.now += 30
    breaker.before_request()
    breaker.record_failure()

    state = breaker.state()
    assert state["state"] == "open" and state["retry_in_seconds"] == 30


def test_a_lost_probe_frees_the_slot_after_its_timeout(store, clock):
    first, second = make(store, clock), make(store, clock)
    fail(first, 5)
    clock.now += 30
    first.before_request()  # ...and the probing process dies
    clock.now += 59
    with pytest.raises(HiscoresUnavailable):
        second.before_request()
    clock.now += 1
    second.before_request()


def test_every_transition_is_logged(store, clock, caplog):
    breaker = make(store, clock)
    with caplog.at_level(logging.WARNING, logger="hiscores.integration.breaker"):
        fail(breaker, 5)
        clock.now += 30
        breaker.before_request()
        breaker.record_success()
    transitions = [(r.breaker_from, r.breaker_to) for r in caplog.records]
    assert transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_an_unreachable_store_fails_closed(clock):
    breaker = make(RedisStore("redis://127.0.0.1:1/0"), clock)
    with pytest.raises(HiscoresUnavailable) as exc:
        breaker.before_request()
    assert exc.value.reason == "state_unavailable"
    assert breaker.state()["state"] == "unknown"


@pytest.mark.django_db
def test_readiness_shows_the_breaker_without_failing_the_service(api_client):
    from hiscores.integration.shared import get_breaker

    reset_client()
    breaker = get_breaker()
    for _ in range(breaker.threshold):
        breaker.record_failure()

    response = api_client.get("/health/ready")

    assert response.status_code == 200
    check = response.json()["checks"]["hiscores"]
    assert check["status"] == "down"
    assert check["breaker"]["state"] == "open"
    assert check["breaker"]["backend"] == "redis"
    assert check["rate_limit"]["rate_per_second"] == settings.OSRS_HISCORES_RATE


def test_embedded_mode_keeps_the_state_in_files(settings, tmp_path):
    from hiscores.integration.shared import breaker_state, limiter_state

    settings.REDIS_URL = None
    settings.VAR_DIR = tmp_path

    assert breaker_state()["backend"] == "file"
    assert limiter_state()["backend"] == "file"
    from hiscores.integration.shared import get_breaker

    get_breaker().record_failure()
    assert (tmp_path / "hiscores" / "breaker.json").exists()
    assert breaker_state()["consecutive_failures"] == 1
