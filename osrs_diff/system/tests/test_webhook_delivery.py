"""Webhook delivery: fan-out from the outbox, signed POSTs to a real local receiver, retries,
giving up after 24 h, disabling after 20 failed deliveries, nothing sent on rollback."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from osrs_diff import events
from osrs_diff.models import OutboxEvent
from osrs_diff.system.models import Webhook, WebhookDelivery
from osrs_diff.system.tasks import deliver_events
from osrs_diff.system.tests.webhook_receiver import start_receiver
from osrs_diff.system.webhooks import delivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_outbox(db):
    """Only this test's events (a reused test database may hold committed rows of others)."""
    OutboxEvent.objects.all().delete()


T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
SECRET = "s3cret-key"


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture(autouse=True)
def no_kick(monkeypatch):
    """The on-commit kick is not sent to a broker here: the tests run the deliverer."""
    monkeypatch.setattr(events, "kick_delivery", lambda: None)


def hook(receiver, **fields) -> Webhook:
    defaults = {"url": receiver.url, "events": [events.PARTY_STARTED], "secret": SECRET}
    return Webhook.objects.create(**{**defaults, **fields})


def verify(received, secret: str = SECRET) -> bool:
    """What a receiver does (docs/webhooks.md): HMAC-SHA256 of "timestamp.body"."""
    timestamp = received.headers["X-OSRS-Diff-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(received.headers["X-OSRS-Diff-Signature"], f"sha256={expected}")


def test_an_event_is_posted_signed_to_each_subscribed_webhook(receiver, clock):
    subscribed = hook(receiver)
    hook(receiver, events=[events.PARTY_ENDED])  # not subscribed to party.started
    hook(receiver, enabled=False)
    event = events.event_record(name=events.PARTY_STARTED, data={"world": 444, "party_id": 7})

    run = deliver_events()

    assert run["events_dispatched"] == 1 and run["deliveries_created"] == 1
    assert run["delivered"] == 1
    [received] = receiver.requests
    assert verify(received)
    assert not verify(received, secret="wrong")
    assert received.headers["X-OSRS-Diff-Event"] == "party.started"
    assert received.headers["X-OSRS-Diff-Delivery"] == str(event.delivery_id)
    assert received.headers["X-OSRS-Diff-Timestamp"] == str(int(T0.timestamp()))
    assert received.headers["Content-Type"] == "application/json"
    assert json.loads(received.body) == {
        "event": "party.started",
        "delivery_id": str(event.delivery_id),
        "occurred_at": "2026-05-01T12:00:00Z",
        "data": {"world": 444, "party_id": 7},
    }
    row = WebhookDelivery.objects.get()
    assert (row.webhook_id, row.status, row.attempts, row.last_status_code) == (
        subscribed.pk,
        "delivered",
        1,
        204,
    )
    assert row.delivered_at == T0
    assert OutboxEvent.objects.get().dispatched_at == T0


def test_running_again_sends_nothing_twice(receiver, clock):
    hook(receiver)
    events.event_record(name=events.PARTY_STARTED, data={"world": 1})
    deliver_events()
    second = deliver_events()

    assert len(receiver.requests) == 1
    assert second["events_dispatched"] == 0 and second["delivered"] == 0
    # The fan-out's backstop: a dispatcher racing this one cannot create a second delivery.
    delivery.events_dispatch()
    OutboxEvent.objects.update(dispatched_at=None)
    delivery.events_dispatch()
    assert WebhookDelivery.objects.count() == 1


def test_a_500_is_retried_later_with_the_same_delivery_id(receiver, clock):
    receiver.statuses = [500]
    hook(receiver)
    events.event_record(name=events.PARTY_STARTED, data={"world": 1})

    first = deliver_events()
    row = WebhookDelivery.objects.get()
    assert first["retrying"] == 1
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert row.last_error.startswith("HTTP 500")
    # Exponential backoff with jitter: about 30 s after the first failure.
    assert T0 + timedelta(seconds=22) <= row.next_attempt_at <= T0 + timedelta(seconds=38)

    deliver_events()  # not due yet
    assert len(receiver.requests) == 1

    clock.shift(40)
    deliver_events()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
        "delivered",
        2,
        204,
        "",
    )
    ids = {r.headers["X-OSRS-Diff-Delivery"] for r in receiver.requests}
    assert len(receiver.requests) == 2 and len(ids) == 1
    assert all(verify(r) for r in receiver.requests)


def test_timeouts_and_refused_connections_are_retried(receiver, clock):
    webhook = hook(receiver, url="http://127.0.0.1:9/closed-port")
    events.event_record(name=events.PARTY_STARTED, data={"world": 1})

    deliver_events()

    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, None)
    assert row.last_error.startswith("connection error")
    webhook.refresh_from_db()
    assert webhook.enabled


def test_backoff_grows_exponentially_up_to_an_hour():
    import random

    rng = random.Random(1)
    waits = [delivery.backoff(n, rng=rng).total_seconds() for n in range(1, 12)]
    assert 22 <= waits[0] <= 38
    assert 45 <= waits[1] <= 75
    assert all(0.75 * 3600 <= wait <= 1.25 * 3600 for wait in waits[8:])


def test_a_delivery_gives_up_after_24_hours(receiver, clock):
    receiver.default = 503
    hook(receiver)
    events.event_record(name=events.PARTY_STARTED, data={"world": 1})
    deliver_events()
    clock.shift(timedelta(hours=24))

    deliver_events()

    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 2, None)
    assert Webhook.objects.get().consecutive_failures == 1


def test_a_webhook_is_disabled_after_20_consecutive_failed_deliveries(receiver, clock, caplog):
    receiver.default = 500
    webhook = hook(receiver)
    with transaction.atomic():
        for world in range(1, 22):
            events.event_record(name=events.PARTY_STARTED, data={"world": world})
    deliver_events()  # 21 first attempts, all failing
    assert Webhook.objects.get().enabled
    clock.shift(timedelta(hours=25))

    run = deliver_events()

    webhook.refresh_from_db()
    assert run["disabled_webhooks"] == [webhook.pk]
    assert not webhook.enabled
    assert webhook.consecutive_failures == 20
    assert "after 20 consecutive failed deliveries" in webhook.disabled_reason
    assert webhook.disabled_at == T0 + timedelta(hours=25)
    assert "disabled after 20 consecutive failed deliveries" in caplog.text
    statuses = sorted(WebhookDelivery.objects.values_list("status", flat=True))
    assert statuses == ["failed"] * 20 + ["skipped"]  # the 21st is not sent once disabled
    assert len(receiver.requests) == 21 + 20


def test_a_delivered_event_resets_the_failure_count(receiver, clock):
    webhook = hook(receiver)
    Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=19)
    events.event_record(name=events.PARTY_STARTED, data={"world": 1})
    deliver_events()
    webhook.refresh_from_db()
    assert (webhook.enabled, webhook.consecutive_failures) == (True, 0)


def test_nothing_is_sent_for_a_rolled_back_change(receiver, clock):
    hook(receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        events.event_record(name=events.PARTY_STARTED, data={"world": 1})
        raise RuntimeError("the change failed")

    run = deliver_events()

    assert run["events_dispatched"] == 0
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_claimed_delivery_is_leased_so_a_concurrent_run_skips_it(receiver, clock):
    hook(receiver)
    events.event_record(name=events.PARTY_STARTED, data={"world": 1})
    delivery.events_dispatch()
    claimed = delivery.deliveries_claim(now=T0)
    assert len(claimed) == 1
    assert delivery.deliveries_claim(now=T0) == []  # a second runner finds nothing due
    # A worker that died mid-send: its lease runs out and the delivery is tried again.
    assert delivery.deliveries_claim(now=T0 + delivery.LEASE) == claimed


def test_a_discord_webhook_gets_discords_body(receiver, clock):
    hook(receiver, format="discord")
    events.event_record(name=events.PARTY_STARTED, data={"world": 444, "party_id": 1})
    deliver_events()
    body = json.loads(receiver.requests[0].body)
    assert body["content"] == "Drop party on world 444 started"
    assert body["embeds"][0]["title"] == "Drop party on world 444 started"


def test_only_http_and_https_urls_are_accepted():
    from django.core.exceptions import ValidationError

    for url in ("file:///etc/passwd", "ftp://example.com/x", "gopher://example.com"):
        with pytest.raises(ValidationError):
            Webhook(url=url, events=[events.PARTY_STARTED]).full_clean()
    with pytest.raises(ValidationError):
        Webhook(url="https://example.com/h", events=["player.teleported"]).full_clean()
    Webhook(url="https://example.com/h", events=[events.PARTY_STARTED]).full_clean()


# available_apps: flush only these tables, no post_migrate (later tests restore content types).
@pytest.mark.django_db(transaction=True, available_apps=["osrs_diff", "osrs_diff.system", "drops"])
def test_concurrent_runs_skip_rows_another_run_holds(receiver):
    """FOR UPDATE SKIP LOCKED: a second deliverer passes over what the first has locked."""
    import threading

    from django.db import connection

    hook(receiver)
    events.event_record(name=events.PARTY_STARTED, data={"world": 1})
    locked, release, result = threading.Event(), threading.Event(), {}

    def first_run() -> None:
        try:
            with transaction.atomic():
                list(OutboxEvent.objects.select_for_update().values_list("id"))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    def second_run() -> None:
        try:
            result["run"] = delivery.events_dispatch().as_dict()
        finally:
            connection.close()

    holder = threading.Thread(target=first_run)
    holder.start()
    assert locked.wait(10)
    other = threading.Thread(target=second_run)
    other.start()
    other.join(10)
    assert not other.is_alive()  # it did not wait for the lock
    release.set()
    holder.join(10)

    assert result["run"]["events_dispatched"] == 0
    assert delivery.events_dispatch().events_dispatched == 1
    assert WebhookDelivery.objects.count() == 1
