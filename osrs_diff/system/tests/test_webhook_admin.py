"""Webhook admin: the list says why a webhook is disabled; the delivery log inline and as a list."""

from __future__ import annotations

import pytest

from osrs_diff import events
from osrs_diff.models import OutboxEvent
from osrs_diff.system.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook():
    hook = Webhook.objects.create(
        name="Clan",
        url="https://example.com/hook",
        events=[events.PARTY_STARTED],
        secret="hidden-secret",
        enabled=False,
        consecutive_failures=20,
        disabled_reason="Disabled automatically after 20 consecutive failed deliveries.",
    )
    event = OutboxEvent.objects.create(name=events.PARTY_STARTED, data={"world": 444})
    WebhookDelivery.objects.create(
        event=event, webhook=hook, status="failed", attempts=16, last_error="HTTP 500: boom"
    )
    return hook


def test_the_list_shows_disabled_webhooks_and_why(admin_client, webhook):
    page = admin_client.get("/admin/system/webhook/").content.decode()
    assert "Disabled automatically after 20 consecutive failed deliveries." in page


def test_the_change_page_has_the_delivery_log_and_never_shows_the_secret(admin_client, webhook):
    page = admin_client.get(f"/admin/system/webhook/{webhook.pk}/change/").content.decode()
    assert "HTTP 500: boom" in page
    assert "hidden-secret" not in page


def test_the_delivery_log_lists_every_delivery(admin_client, webhook):
    page = admin_client.get("/admin/system/webhookdelivery/").content.decode()
    assert "HTTP 500: boom" in page
    delivery = WebhookDelivery.objects.get()
    detail = admin_client.get(f"/admin/system/webhookdelivery/{delivery.pk}/change/")
    assert detail.status_code == 200
    assert "444" in detail.content.decode()


def test_saving_with_a_blank_secret_keeps_it_and_enabling_clears_the_failures(
    admin_client, webhook
):
    response = admin_client.post(
        f"/admin/system/webhook/{webhook.pk}/change/",
        {
            "name": "Clan",
            "url": "https://example.com/hook",
            "events": '["party.started", "party.ended"]',
            "format": "json",
            "secret": "",
            "enabled": "on",
            "deliveries-TOTAL_FORMS": "1",
            "deliveries-INITIAL_FORMS": "1",
            "deliveries-MIN_NUM_FORMS": "0",
            "deliveries-MAX_NUM_FORMS": "0",
            "deliveries-0-id": str(WebhookDelivery.objects.get().pk),
            "deliveries-0-webhook": str(webhook.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    webhook.refresh_from_db()
    assert webhook.secret == "hidden-secret"
    assert webhook.events == ["party.started", "party.ended"]
    assert (webhook.enabled, webhook.consecutive_failures, webhook.disabled_reason) == (
        True,
        0,
        "",
    )
