"""Deliver outbox events to webhooks: fan out, send what is due, retry, give up, disable.

Safe to run concurrently and again (the task is kicked on every commit that records an event and
swept every 10 s):
- fan-out locks a batch of undispatched events with `FOR UPDATE SKIP LOCKED`, creates one
  delivery per enabled subscribed webhook (unique (event, webhook) is the backstop) and marks the
  events dispatched, in one short transaction;
- sending claims due deliveries the same way and leases them (`next_attempt_at` moves a lease
  ahead) before the transaction ends: no transaction is held across an HTTP call, and a worker
  that dies mid-send leaves a delivery that is retried once the lease runs out (same delivery id,
  so receivers can drop a repeat);
- an attempt's outcome is written with a conditional UPDATE on the attempt count it started
  from, so two senders can never both record one attempt.
Delivery is at least once.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from osrs_diff.http import build_http_client
from osrs_diff.models import OutboxEvent
from osrs_diff.system.models import Webhook, WebhookDelivery
from osrs_diff.system.webhooks import discord, payloads

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

#: Retries continue this long after the delivery was created; then it has failed for good.
RETRY_FOR = timedelta(hours=24)
#: Exponential backoff: 30 s, 1 min, 2 min, ... capped at 1 h, each with +-25 % jitter.
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
#: A webhook whose deliveries failed for good this many times in a row is disabled.
DISABLE_AFTER = 20
#: A claimed delivery is not claimed again for this long (covers a batch of slow sends).
LEASE = timedelta(seconds=120)
CLAIM_BATCH = 10
DISPATCH_BATCH = 200
#: One run stops claiming after this long (the soft time limit is 120 s); the sweep goes on.
RUN_BUDGET_SECONDS = 60.0
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
USER_AGENT = "osrs-diff-webhooks/1.0"
ERROR_LENGTH = 500


@dataclass
class DeliveryRun:
    """What one run of the deliverer did."""

    events_dispatched: int = 0
    deliveries_created: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    disabled_webhooks: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones (with jitter)."""
    base = min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    return base * (rng or random).uniform(0.75, 1.25)


def events_deliver(*, client: httpx.Client | None = None) -> DeliveryRun:
    """Fan out undispatched events, then send every due delivery (one bounded run)."""
    run = DeliveryRun()
    events_dispatch(run=run)
    own = client is None
    client = client or build_http_client(timeout=TIMEOUT, user_agent=USER_AGENT)
    started = time.monotonic()
    try:
        while time.monotonic() - started < RUN_BUDGET_SECONDS:
            claimed = deliveries_claim(now=timezone.now())
            for delivery_id in claimed:
                delivery_send(delivery_id=delivery_id, client=client, run=run)
            if len(claimed) < CLAIM_BATCH:
                break
    finally:
        if own:
            client.close()
    return run


def events_dispatch(*, run: DeliveryRun | None = None, now: datetime | None = None) -> DeliveryRun:
    """One delivery per (undispatched event, enabled webhook subscribed to its name)."""
    run = run or DeliveryRun()
    while True:
        now = now or timezone.now()
        with transaction.atomic():
            rows = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(dispatched_at=None)
                .order_by("id")
                .values_list("id", "name")[:DISPATCH_BATCH]
            )
            if not rows:
                return run
            hooks = list(Webhook.objects.filter(enabled=True).values_list("id", "events"))
            deliveries = [
                WebhookDelivery(
                    event_id=event_id, webhook_id=hook_id, created_at=now, next_attempt_at=now
                )
                for event_id, name in rows
                for hook_id, names in hooks
                if name in names
            ]
            WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            OutboxEvent.objects.filter(id__in=[row[0] for row in rows], dispatched_at=None).update(
                dispatched_at=now
            )
        run.events_dispatched += len(rows)
        run.deliveries_created += len(deliveries)
        if len(rows) < DISPATCH_BATCH:
            return run


def deliveries_claim(*, now: datetime, limit: int = CLAIM_BATCH) -> list[int]:
    """Lock and lease up to `limit` due pending deliveries; their ids, oldest due first."""
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            WebhookDelivery.objects.filter(id__in=ids).update(next_attempt_at=now + LEASE)
    return ids


def request_body(delivery: WebhookDelivery) -> dict:
    """The body a delivery sends, in its webhook's format."""
    event = delivery.event
    if delivery.webhook.format == Webhook.Format.DISCORD:
        return discord.discord_body(name=event.name, occurred_at=event.occurred_at, data=event.data)
    return payloads.json_body(
        name=event.name,
        delivery_id=str(event.delivery_id),
        occurred_at=event.occurred_at,
        data=event.data,
    )


def delivery_send(*, delivery_id: int, client: httpx.Client, run: DeliveryRun | None = None) -> str:
    """Make one attempt of a claimed delivery and record it; the delivery's status after it."""
    run = run or DeliveryRun()
    delivery = (
        WebhookDelivery.objects.select_related("event", "webhook").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status != Status.PENDING:
        return delivery.status if delivery else "gone"
    webhook = delivery.webhook
    if not webhook.enabled:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.PENDING).update(
            status=Status.SKIPPED, next_attempt_at=None, last_error="webhook disabled"
        )
        run.skipped += 1
        return Status.SKIPPED
    event = delivery.event
    body = payloads.encode(request_body(delivery))
    timestamp = str(int(time.time()))
    headers = payloads.headers(
        name=event.name,
        delivery_id=str(event.delivery_id),
        timestamp=timestamp,
        body=body,
        secret=webhook.secret,
    )
    status_code, error = None, ""
    try:
        response = client.post(webhook.url, content=body, headers=headers)
        status_code = response.status_code
        if not response.is_success:
            error = f"HTTP {status_code}: {response.text[:200]}"
    except httpx.TimeoutException as exc:
        error = f"timeout: {type(exc).__name__}"
    except httpx.HTTPError as exc:
        error = f"connection error: {type(exc).__name__}: {exc}"
    return _record(delivery, status_code=status_code, error=error, run=run)


def _record(
    delivery: WebhookDelivery, *, status_code: int | None, error: str, run: DeliveryRun
) -> str:
    now = timezone.now()
    attempts = delivery.attempts + 1
    # Only the sender that made attempt number `attempts` may record it.
    mine = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=Status.PENDING, attempts=delivery.attempts
    )
    common = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": status_code,
        "last_error": error[:ERROR_LENGTH],
    }
    with transaction.atomic():
        if not error:
            if mine.update(
                status=Status.DELIVERED, delivered_at=now, next_attempt_at=None, **common
            ):
                Webhook.objects.filter(pk=delivery.webhook_id, consecutive_failures__gt=0).update(
                    consecutive_failures=0
                )
                run.delivered += 1
            return Status.DELIVERED
        next_at = now + backoff(attempts)
        if next_at <= delivery.created_at + RETRY_FOR:
            if mine.update(next_attempt_at=next_at, **common):
                run.retrying += 1
            logger.info(
                "webhook %s delivery %s attempt %s failed (%s); next attempt at %s",
                delivery.webhook_id,
                delivery.pk,
                attempts,
                error,
                next_at.isoformat(),
            )
            return Status.PENDING
        if not mine.update(status=Status.FAILED, next_attempt_at=None, **common):
            return Status.FAILED
        run.failed += 1
        logger.warning(
            "webhook %s delivery %s failed for good after %s attempts (%s)",
            delivery.webhook_id,
            delivery.pk,
            attempts,
            error,
        )
        if _count_failure(webhook_id=delivery.webhook_id, now=now):
            run.disabled_webhooks.append(delivery.webhook_id)
    return Status.FAILED


def _count_failure(*, webhook_id: int, now: datetime) -> bool:
    """Count a delivery that failed for good; disable the webhook at DISABLE_AFTER. Disabled?"""
    Webhook.objects.filter(pk=webhook_id).update(consecutive_failures=F("consecutive_failures") + 1)
    webhook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
    if webhook is None or not webhook.enabled or webhook.consecutive_failures < DISABLE_AFTER:
        return False
    webhook.enabled = False
    webhook.disabled_at = now
    webhook.disabled_reason = (
        f"Disabled automatically at {now:%Y-%m-%d %H:%M} UTC after "
        f"{webhook.consecutive_failures} consecutive failed deliveries."
    )
    webhook.save(update_fields=["enabled", "disabled_at", "disabled_reason", "updated_at"])
    logger.warning(
        "webhook %s (%s) disabled after %s consecutive failed deliveries",
        webhook.pk,
        webhook.url,
        webhook.consecutive_failures,
    )
    return True
