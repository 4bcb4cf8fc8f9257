"""Query validation and response shapes of the history endpoints."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from history.periods import MAX_SPAN, PERIOD_HELP, RangeError, resolve_range
from osrs_diff.pagination import PageField, PageNumberPagination
from players.game_modes import GameMode

MAX_DAYS = MAX_SPAN.days  # 3653, ten years with their leap days: the limit of every range


class RangeQuerySerializer(serializers.Serializer):
    """`start`/`end` (ISO dates or datetimes) or `period`; default the last 30 days."""

    start = serializers.CharField(
        required=False, allow_blank=True, help_text="ISO date or datetime (UTC when naive)."
    )
    end = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="ISO date or datetime; a date means the end of that day. Default: now.",
    )
    period = serializers.CharField(required=False, allow_blank=True, help_text=PERIOD_HELP)

    def validate(self, attrs: dict) -> dict:
        try:
            attrs["range"] = resolve_range(
                start=attrs.get("start"),
                end=attrs.get("end"),
                period=attrs.get("period"),
                now=timezone.now(),
            )
        except RangeError as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from None
        return attrs


class MetricRangeQuerySerializer(RangeQuerySerializer):
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        help_text="The last N days (same as period=Nd). Default 30.",
    )

    def validate(self, attrs: dict) -> dict:
        days = attrs.pop("days", None)
        if days is not None:
            if attrs.get("period") or attrs.get("start"):
                raise serializers.ValidationError(
                    {"days": ["Give days, or period/start, not both."]}
                )
            attrs["period"] = f"{days}d"
        return super().validate(attrs)


class LeaderboardQuerySerializer(RangeQuerySerializer):
    metric = serializers.CharField(
        required=False, default="overall", help_text="Any skill, activity or boss key."
    )
    game_mode = serializers.ChoiceField(choices=GameMode.choices, required=False)
    page = PageField()
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=PageNumberPagination.max_page_size,
        default=PageNumberPagination.page_size or 50,
    )


# --- Responses (documentation and output formatting) ------------------------------------------


class RankChangeSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    change = serializers.IntegerField(help_text="end - start; negative = climbed.")


class NewlyRankedSerializer(serializers.Serializer):
    metric = serializers.CharField()
    kind = serializers.CharField()
    value = serializers.IntegerField(help_text="Experience, kills or score at the end.")
    rank = serializers.IntegerField(allow_null=True)
    level = serializers.IntegerField(required=False)


class ProgressSerializer(serializers.Serializer):
    username = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    start_snapshot_at = serializers.DateTimeField()
    end_snapshot_at = serializers.DateTimeField()
    started_at_first_snapshot = serializers.BooleanField()
    days_elapsed = serializers.FloatField()
    experience_gained = serializers.DictField(child=serializers.IntegerField())
    levels_gained = serializers.DictField(child=serializers.IntegerField())
    boss_kills_gained = serializers.DictField(child=serializers.IntegerField())
    activities_gained = serializers.DictField(child=serializers.IntegerField())
    rank_changes = serializers.DictField(child=RankChangeSerializer())
    newly_ranked = NewlyRankedSerializer(many=True)
    daily_rates = serializers.DictField(child=serializers.FloatField())


class HistoryScoreValueSerializer(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True, help_text="Kills or score; null = unranked.")
    rank = serializers.IntegerField(allow_null=True)


class HistorySkillValueSerializer(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True, help_text="Experience; null = unranked.")
    level = serializers.IntegerField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)


class ScoreTimelinePointSerializer(HistoryScoreValueSerializer):
    at = serializers.DateTimeField()


class SkillTimelinePointSerializer(HistorySkillValueSerializer):
    at = serializers.DateTimeField()


class MetricHistorySerializer(serializers.Serializer):
    """One boss or activity over a range."""

    username = serializers.CharField()
    metric = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    start_snapshot_at = serializers.DateTimeField()
    end_snapshot_at = serializers.DateTimeField()
    started_at_first_snapshot = serializers.BooleanField()
    days_elapsed = serializers.FloatField()
    start = HistoryScoreValueSerializer()
    end = HistoryScoreValueSerializer()
    gained = serializers.IntegerField(
        allow_null=True, help_text="null when unranked at either end (see newly_ranked)."
    )
    daily_rate = serializers.FloatField(allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True, help_text="Negative = climbed.")
    newly_ranked = serializers.BooleanField()
    timeline = ScoreTimelinePointSerializer(many=True)


class SkillHistorySerializer(MetricHistorySerializer):
    """One skill over a range."""

    start = HistorySkillValueSerializer()
    end = HistorySkillValueSerializer()
    levels_gained = serializers.IntegerField(allow_null=True)
    timeline = SkillTimelinePointSerializer(many=True)


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    username = serializers.CharField()
    game_mode = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    gained = serializers.IntegerField()


class LeaderboardSerializer(serializers.Serializer):
    metric = serializers.CharField()
    kind = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    game_mode = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LeaderboardRowSerializer(many=True)


# --- The player page (GET /players/{username}/overview) ----------------------------------------


class OverviewSkillSerializer(serializers.Serializer):
    metric = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    experience = serializers.IntegerField(allow_null=True, help_text="None = unranked.")
    gained = serializers.IntegerField(
        allow_null=True,
        help_text="XP gained in the range; null when unranked at an end (newly ranked).",
    )
    newly_ranked = serializers.BooleanField()


class OverviewScoreSerializer(serializers.Serializer):
    metric = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    score = serializers.IntegerField(allow_null=True, help_text="Kills or score; None = unranked.")
    gained = serializers.IntegerField(allow_null=True)
    newly_ranked = serializers.BooleanField()


class OverviewChartSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The first reading when tracking began later.")
    end = serializers.DateTimeField()


class OverviewGameModeChangeSerializer(serializers.Serializer):
    from_mode = serializers.CharField()
    to_mode = serializers.CharField()
    detected_at = serializers.DateTimeField()


class OverviewFetchSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    outcome = serializers.CharField(
        help_text="success, unchanged, not_found, unavailable or rejected."
    )
    detail = serializers.CharField(allow_blank=True)


class OverviewFallSerializer(serializers.Serializer):
    metric = serializers.CharField()
    field = serializers.CharField()
    before = serializers.IntegerField()
    after = serializers.IntegerField()
    change = serializers.IntegerField()


class OverviewFlagSerializer(serializers.Serializer):
    flagged = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    flagged_at = serializers.DateTimeField(allow_null=True)
    falls = OverviewFallSerializer(
        many=True, allow_null=True, help_text="What went down; null when not kept."
    )


class OverviewSerializer(serializers.Serializer):
    username = serializers.CharField()
    game_mode = serializers.ChoiceField(choices=GameMode.choices)
    is_active = serializers.BooleanField()
    last_fetched = serializers.DateTimeField(allow_null=True)
    last_fetch_status = serializers.CharField(allow_blank=True)
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    start_snapshot_at = serializers.DateTimeField(allow_null=True)
    end_snapshot_at = serializers.DateTimeField(allow_null=True)
    started_at_first_snapshot = serializers.BooleanField()
    skills = OverviewSkillSerializer(many=True)
    activities = OverviewScoreSerializer(many=True)
    bosses = OverviewScoreSerializer(many=True)
    chart = OverviewChartSerializer()
    game_mode_changes = OverviewGameModeChangeSerializer(many=True)
    recent_fetches = OverviewFetchSerializer(many=True, help_text="Newest first, at most 20.")
    flag = OverviewFlagSerializer()
