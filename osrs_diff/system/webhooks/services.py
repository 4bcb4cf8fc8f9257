"""Writes for webhooks: create, change, delete (the API and the admin call these)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from osrs_diff.exceptions import ValidationFailed
from osrs_diff.system.models import Webhook

logger = logging.getLogger(__name__)

EDITABLE = ("name", "url", "events", "format", "secret", "enabled")


def _clean(webhook: Webhook) -> None:
    try:
        webhook.full_clean()
    except ValidationError as exc:
        raise ValidationFailed("Invalid webhook.", details=exc.message_dict) from exc


def webhook_create(**fields: Any) -> Webhook:
    """A new webhook (validated: http/https URL, known event names)."""
    webhook = Webhook(**{key: value for key, value in fields.items() if key in EDITABLE})
    _clean(webhook)
    webhook.save()
    logger.info("webhook %s created for %s (%s)", webhook.pk, webhook.url, webhook.events)
    return webhook


def webhook_update(*, webhook: Webhook, **fields: Any) -> Webhook:
    """Change a webhook; enabling it again clears its failure count and disabled reason."""
    with transaction.atomic():
        webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
        was_enabled = webhook.enabled
        for key, value in fields.items():
            if key in EDITABLE:
                setattr(webhook, key, value)
        if webhook.enabled and not was_enabled:
            webhook.consecutive_failures = 0
            webhook.disabled_reason = ""
            webhook.disabled_at = None
        elif was_enabled and not webhook.enabled:
            webhook.disabled_reason = "Disabled by an operator."
            webhook.disabled_at = timezone.now()
        _clean(webhook)
        webhook.save()
    return webhook


def webhook_delete(*, webhook: Webhook) -> None:
    """Delete a webhook and its delivery log."""
    logger.info("webhook %s (%s) deleted", webhook.pk, webhook.url)
    webhook.delete()
