"""Operations models: the system-task view of PeriodicTask, webhooks and their delivery log.

SystemTask: the system-task view of django-celery-beat's PeriodicTask, for the admin.

Moved from the `osrs_diff` app by state-only migrations (`system` 0001, `osrs_diff` 0003): a
proxy has no table, and its content type and permissions keep their ids under the new label.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from osrs_diff.events import EVENT_NAMES


class SystemTask(PeriodicTask):
    """A scheduled system job (any PeriodicTask but the per-player fetches), for the admin."""

    class Meta:
        proxy = True
        verbose_name = "system task"
        verbose_name_plural = "system tasks"


def validate_event_names(value: object) -> None:
    """A webhook's `events`: a list of known event names (osrs_diff.events.EVENT_NAMES)."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError("A list of event names.")
    unknown = sorted(set(value) - set(EVENT_NAMES))
    if unknown:
        raise ValidationError(
            f"Unknown events: {', '.join(unknown)}. Valid: {', '.join(EVENT_NAMES)}."
        )


class Webhook(models.Model):
    """An HTTP endpoint that receives the events it subscribes to (docs/webhooks.md).

    Operators (staff) choose the URLs: the server POSTs wherever they point, so only http and
    https are accepted and redirects are never followed.
    """

    class Format(models.TextChoices):
        JSON = "json", "JSON"
        DISCORD = "discord", "Discord"

    name = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, validators=[URLValidator(schemes=["http", "https"])])
    events = models.JSONField(default=list, validators=[validate_event_names])
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.JSON)
    # Write-only in the API; the HMAC key receivers verify `X-OSRS-Diff-Signature` with.
    secret = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    # Deliveries that failed for good (every retry for 24 h) in a row; a delivered one resets it.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.url

    @property
    def has_secret(self) -> bool:
        """Whether requests are signed with a secret of its own."""
        return bool(self.secret)


class WebhookDelivery(models.Model):
    """One event for one webhook: its attempts so far and where it stands (the delivery log)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"  # gave up: every retry for 24 h failed
        SKIPPED = "skipped", "Skipped"  # the webhook was disabled before it could be sent

    event = models.ForeignKey(
        "osrs_diff.OutboxEvent", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # The fan-out backstop: a re-run or a concurrent dispatcher never sends an event twice.
            models.UniqueConstraint(fields=["event", "webhook"], name="webhook_delivery_once"),
        ]
        indexes = [
            # The sender's scan: pending deliveries that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} of event {self.event_id} to webhook {self.webhook_id}"
