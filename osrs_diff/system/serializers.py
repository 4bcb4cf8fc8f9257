"""Output shapes of the system endpoints."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.validators import URLValidator
from rest_framework import serializers

from osrs_diff.events import EVENT_NAMES
from osrs_diff.fields import StrictBooleanField
from osrs_diff.system.models import Webhook


class LastResultSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    state = serializers.CharField(help_text="Celery state: STARTED, SUCCESS, FAILURE, RETRY, ...")
    finished_at = serializers.DateTimeField(allow_null=True)
    summary = serializers.CharField(help_text='e.g. "queued=12", "HiscoresUnavailable: down".')


class SystemTaskSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField(help_text="Also accepted by POST /system/tasks/{name}/run.")
    task = serializers.CharField(help_text="The Celery task it sends.")
    description = serializers.CharField()
    schedule = serializers.CharField(help_text='"every 60 s", "daily at 02:00 UTC", ...')
    enabled = serializers.BooleanField()
    last_run_at = serializers.DateTimeField(allow_null=True)
    next_run_at = serializers.DateTimeField(allow_null=True)
    total_run_count = serializers.IntegerField()
    last_result = LastResultSerializer(allow_null=True)


class _PlayersSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    active = serializers.IntegerField()
    paused = serializers.IntegerField()
    flagged = serializers.IntegerField()
    missing = serializers.IntegerField(
        help_text="No board found for MISSING_AFTER_FETCHES fetches."
    )
    by_game_mode = serializers.DictField(child=serializers.IntegerField())


class _SnapshotsSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
    estimated = serializers.BooleanField(help_text="True when taken from table statistics.")


class _FetchesSerializer(serializers.Serializer):
    success = serializers.IntegerField(help_text="A snapshot was stored.")
    unchanged = serializers.IntegerField(help_text="Nothing progressed: nothing stored.")
    not_found = serializers.IntegerField()
    unavailable = serializers.IntegerField(help_text="Retries exhausted.")
    rejected = serializers.IntegerField(help_text="Values went down: flagged, nothing stored.")
    deferred = serializers.IntegerField(
        help_text="A scheduled fetch ended at once: the politeness queue was too long."
    )
    stale = serializers.IntegerField(
        help_text="A scheduled message older than its player's interval, skipped."
    )
    total = serializers.IntegerField()


class _QueuesSerializer(serializers.Serializer):
    backend = serializers.CharField()
    available = serializers.BooleanField(allow_null=True)
    depth = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    oldest_age_seconds = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        required=False,
        help_text="Per queue: seconds since the oldest waiting message was sent (null: empty).",
    )
    error = serializers.CharField(required=False)


class FetchBudgetSerializer(serializers.Serializer):
    """Scheduled-fetch demand against the hiscores budget (docs/fetching-budget.md)."""

    rate_per_second = serializers.FloatField(
        help_text="The budget: hiscores requests per second every process shares "
        "(OSRS_HISCORES_RATE; 0 = rate limit off)."
    )
    demand_per_second = serializers.FloatField(
        help_text="Fetches per second the active players' schedules ask for now: the sum of "
        "1 / effective interval (adaptive fetching stretches idle players' intervals)."
    )
    configured_demand_per_second = serializers.FloatField(
        help_text="The same at the intervals the operators configured; above rate_per_second, "
        "adding or changing a player answers with a warning."
    )
    utilisation = serializers.FloatField(
        allow_null=True,
        help_text="demand_per_second / rate_per_second: above 1 the schedules want more than "
        "the budget and scheduled fetches are deferred; null when the rate limit is off.",
    )
    scheduled_backlog = serializers.IntegerField(
        allow_null=True,
        help_text="Messages waiting in queue `scheduled` (null: the broker cannot say).",
    )
    oldest_scheduled_age_seconds = serializers.FloatField(
        allow_null=True,
        help_text="Seconds since the oldest waiting scheduled message was sent (null: none).",
    )


class _DropsSerializer(serializers.Serializer):
    open_parties = serializers.IntegerField()
    drops_last_hour = serializers.IntegerField()


class SystemStatsSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    players = _PlayersSerializer()
    snapshots = _SnapshotsSerializer()
    fetches_24h = _FetchesSerializer()
    dedup_ratio_24h = serializers.FloatField(
        allow_null=True, help_text="unchanged / (success + unchanged) over the last 24 h."
    )
    hiscores = serializers.DictField(help_text="rate_limiter and circuit_breaker state.")
    queues = _QueuesSerializer()
    drops = _DropsSerializer()
    fetch_budget = FetchBudgetSerializer()


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook as staff read and write it; `secret` is write-only."""

    url = serializers.URLField(
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="http or https only; chosen by staff (the server POSTs there).",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_NAMES),
        allow_empty=False,
        help_text="Event names it receives: " + ", ".join(EVENT_NAMES) + ".",
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="HMAC-SHA256 key of X-OSRS-Diff-Signature (write-only).",
    )
    has_secret = serializers.BooleanField(read_only=True)
    enabled = StrictBooleanField(required=False)

    class Meta:
        model = Webhook
        fields = (
            "id",
            "name",
            "url",
            "events",
            "format",
            "secret",
            "has_secret",
            "enabled",
            "consecutive_failures",
            "disabled_reason",
            "disabled_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            "consecutive_failures",
            "disabled_reason",
            "disabled_at",
            "created_at",
            "updated_at",
        )

    def validate_url(self, value: str) -> str:
        if urlsplit(value).username or urlsplit(value).password:
            raise serializers.ValidationError(
                "No credentials in the URL (they would show wherever the URL does): use `secret`."
            )
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))  # each event once, in the order given
