"""Competition request bodies (strict: unknown fields and wrong JSON types are 400) and answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from history.competitions import services
from history.competitions.models import TEAM_NAME_MAX_LENGTH, TITLE_MAX_LENGTH, Competition
from osrs_diff.datetimes import EARLIEST, MomentOutOfRange, check_moment
from osrs_diff.fields import RejectUnknownFieldsMixin, StrictCharField, StrictIntegerField

# A competition may be planned up to a year ahead (the shared rule stops at now + 1 day).
MAX_AHEAD = timedelta(days=365)
USERNAME_INPUT_MAX = 64  # longer than any username (12): a clear "not tracked", not a 500


class CompetitionDateTimeField(serializers.DateTimeField):
    """An ISO datetime (naive = UTC) between 2001 and now + 1 year + 1 day, offset within 14 h."""

    def enforce_timezone(self, value: datetime) -> datetime:
        latest = timezone.now() + MAX_AHEAD
        try:
            moment = check_moment(value, now=latest)
        except MomentOutOfRange:
            raise serializers.ValidationError(
                f"The moment must be between {EARLIEST:%Y-%m-%dT%H:%M:%SZ} and a year from now, "
                "with a UTC offset within -14:00 and +14:00.",
                code="out_of_range",
            ) from None
        return super().enforce_timezone(moment)


def _usernames(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(max_length=USERNAME_INPUT_MAX),
        max_length=services.MAX_PARTICIPANTS,
        **kwargs,
    )


class TeamInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    name = StrictCharField(max_length=TEAM_NAME_MAX_LENGTH)
    participants = _usernames(allow_empty=False)

    def to_internal_value(self, data: Any) -> services.TeamInput:
        attrs = super().to_internal_value(data)
        return services.TeamInput(name=attrs["name"], participants=attrs["participants"])


class CompetitionCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """POST /competitions."""

    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    metric = StrictCharField(max_length=64, help_text="Any catalogue metric key, e.g. overall.")
    starts_at = CompetitionDateTimeField()
    ends_at = CompetitionDateTimeField()
    kind = serializers.ChoiceField(
        choices=Competition.Kind.choices, default=Competition.Kind.CLASSIC
    )
    participants = _usernames(
        required=False, help_text="Tracked usernames (or group_id; a team event may omit both)."
    )
    group_id = StrictIntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Copy this group's members."
    )
    teams = serializers.ListField(
        child=TeamInputSerializer(), required=False, max_length=services.MAX_TEAMS
    )


class CompetitionUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """PATCH /competitions/{id}: title, dates, participants, teams (what the status allows)."""

    title = StrictCharField(max_length=TITLE_MAX_LENGTH, required=False)
    starts_at = CompetitionDateTimeField(required=False)
    ends_at = CompetitionDateTimeField(required=False)
    participants = _usernames(required=False)
    teams = serializers.ListField(
        child=TeamInputSerializer(), required=False, max_length=services.MAX_TEAMS
    )


STATUS_CHOICES = [str(status) for status in Competition.Status]


class CompetitionListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUS_CHOICES, required=False)


class CompetitionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    metric = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUS_CHOICES)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    participant_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CompetitionPageSerializer(serializers.Serializer):
    """GET /competitions: one page of competitions (`page`, `page_size`)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CompetitionSummarySerializer(many=True)


class StandingSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    username = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    start_value = serializers.IntegerField(allow_null=True)
    current_value = serializers.IntegerField(allow_null=True)
    gained = serializers.IntegerField(allow_null=True)
    late_baseline = serializers.BooleanField()
    newly_ranked = serializers.BooleanField()
    start_reading_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class TeamStandingSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField()
    gained = serializers.IntegerField()
    members = serializers.ListField(child=serializers.CharField())


class CompetitionDetailSerializer(CompetitionSummarySerializer):
    standings_at = serializers.DateTimeField(help_text="The moment current_value is read at.")
    standings = StandingSerializer(many=True)
    teams = TeamStandingSerializer(many=True, required=False, help_text="Team events only.")


def summary(competition: Competition, *, now: datetime, count: int | None = None) -> dict:
    return {
        "id": competition.pk,
        "title": competition.title,
        "metric": competition.metric,
        "kind": competition.kind,
        "status": str(competition.status_at(now)),
        "starts_at": competition.starts_at,
        "ends_at": competition.ends_at,
        "participant_count": count
        if count is not None
        else getattr(competition, "participant_count", None) or competition.participations.count(),
        "created_at": competition.created_at,
        "updated_at": competition.updated_at,
    }
