"""Input and output shapes of the players API (no side effects: services do the writes)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from osrs_diff.fields import (
    RejectUnknownFieldsMixin,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from players.game_modes import GameMode, Outcome
from players.models import (
    DEFAULT_FETCH_INTERVAL_MINUTES,
    MAX_FETCH_INTERVAL_MINUTES,
    MIN_FETCH_INTERVAL_MINUTES,
    Player,
)


def _interval_field(**kwargs) -> StrictIntegerField:
    return StrictIntegerField(
        min_value=MIN_FETCH_INTERVAL_MINUTES, max_value=MAX_FETCH_INTERVAL_MINUTES, **kwargs
    )


class PlayerCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    # Name rules are checked by the service so every interface gets the same messages.
    username = StrictCharField(allow_blank=True, trim_whitespace=False, max_length=64)
    fetch_interval_minutes = _interval_field(default=DEFAULT_FETCH_INTERVAL_MINUTES)


class PlayerUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    fetch_interval_minutes = _interval_field(required=False)
    is_active = StrictBooleanField(required=False)


class PlayerSerializer(serializers.ModelSerializer):
    schedule_id = serializers.IntegerField(source="fetch_task_id", allow_null=True)
    effective_interval_minutes = serializers.IntegerField(
        source="schedule_interval_minutes",
        read_only=True,
        help_text="Minutes between scheduled fetches now: fetch_interval_minutes unless adaptive "
        "fetching has stretched it for an idle player (docs/fetching-budget.md).",
    )
    # Set when the player was looked up by a name it had before (players.selectors.player_get).
    former_name = serializers.SerializerMethodField()

    class Meta:
        model = Player
        fields = [
            "id",
            "username",
            "game_mode",
            "fetch_interval_minutes",
            "effective_interval_minutes",
            "is_active",
            "schedule_id",
            "created_at",
            "last_fetched",
            "last_changed",
            "game_mode_checked_at",
            "last_fetch_status",
            "flag_reason",
            "flagged_at",
            "missing_since",
            "missing_fetches",
            "former_name",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_former_name(self, obj: Player) -> str | None:
        return getattr(obj, "former_name", None)


class PlayerWriteSerializer(PlayerSerializer):
    """The answer of POST /players and PATCH /players/{username}: the player and `warnings`."""

    warnings = serializers.SerializerMethodField(
        help_text="Sentences for the operator, e.g. when the configured schedules want more "
        "fetches than the hiscores budget allows; empty when all is well. The write succeeded "
        "either way."
    )

    class Meta(PlayerSerializer.Meta):
        fields = [*PlayerSerializer.Meta.fields, "warnings"]
        read_only_fields = fields

    def get_warnings(self, player: Player) -> list[str]:
        return list(self.context.get("warnings", []))


class GameModeCheckSerializer(serializers.Serializer):
    username = serializers.CharField()
    previous_mode = serializers.ChoiceField(choices=GameMode.choices)
    game_mode = serializers.ChoiceField(choices=GameMode.choices)
    changed = serializers.BooleanField()
    detected_mode = serializers.ChoiceField(
        choices=GameMode.choices,
        allow_null=True,
        help_text="What the boards showed; null when the reading was not definite.",
    )
    outcome = serializers.ChoiceField(choices=[o.value for o in Outcome])


class ScheduleSerializer(serializers.Serializer):
    username = serializers.CharField()
    schedule_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    interval_minutes = serializers.IntegerField(allow_null=True)
    enabled = serializers.BooleanField()
    last_run_at = serializers.DateTimeField(allow_null=True)
    next_run_at = serializers.DateTimeField(allow_null=True)
    total_run_count = serializers.IntegerField()
    fetch_interval_minutes = serializers.IntegerField(help_text="The interval the operator set.")
    effective_interval_minutes = serializers.IntegerField(
        help_text="The interval scheduled fetches run at now: fetch_interval_minutes unless "
        "adaptive fetching has stretched it (what the PeriodicTask carries).",
    )
