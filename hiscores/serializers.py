"""Input validation and response shapes of the snapshot endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hiscores.selectors import snapshot_metrics
from osrs_diff.datetimes import DATE_ONLY_END_HELP, BoundedDateTimeField
from players.serializers import PlayerSerializer

MAX_USERNAMES_PER_REQUEST = 50


class StatsQuerySerializer(serializers.Serializer):
    at = BoundedDateTimeField(
        required=False,
        date_is_end=True,
        help_text=f"ISO datetime: stats in force at that time. {DATE_ONLY_END_HELP}",
    )


class SnapshotRangeSerializer(serializers.Serializer):
    start = BoundedDateTimeField(
        required=False, help_text="ISO datetime or date (a date: the start of that day, UTC)."
    )
    end = BoundedDateTimeField(
        required=False, date_is_end=True, help_text=f"ISO datetime. {DATE_ONLY_END_HELP}"
    )

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["end must not be before start."]})
        return attrs


class UsernamesQuerySerializer(serializers.Serializer):
    usernames = serializers.CharField(help_text="Comma-separated player names (at most 50).")

    def validate_usernames(self, value: str) -> list[str]:
        names = list(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
        if not names:
            raise serializers.ValidationError("Give at least one player name.")
        if len(names) > MAX_USERNAMES_PER_REQUEST:
            raise serializers.ValidationError(
                f"At most {MAX_USERNAMES_PER_REQUEST} names per request."
            )
        return names


class SkillValueSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    experience = serializers.IntegerField(allow_null=True)


class ActivityValueSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)


class BossValueSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    kills = serializers.IntegerField(allow_null=True)


class PlayerStatsSerializer(serializers.Serializer):
    username = serializers.CharField()
    game_mode = serializers.CharField()
    fetched_at = serializers.DateTimeField()
    last_fetched = serializers.DateTimeField(allow_null=True)
    overall = SkillValueSerializer()
    skills = serializers.DictField(child=SkillValueSerializer())
    activities = serializers.DictField(child=ActivityValueSerializer())
    bosses = serializers.DictField(child=BossValueSerializer())
    combat_level = serializers.IntegerField()
    data_age_seconds = serializers.IntegerField()


class MultiPlayerStatsSerializer(serializers.Serializer):
    players = PlayerStatsSerializer(many=True)
    not_tracked = serializers.ListField(child=serializers.CharField())
    without_snapshots = serializers.ListField(child=serializers.CharField())


class SnapshotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fetched_at = serializers.DateTimeField()
    board = serializers.CharField()
    overall = SkillValueSerializer()
    skills = serializers.DictField(child=SkillValueSerializer())
    activities = serializers.DictField(child=ActivityValueSerializer())
    bosses = serializers.DictField(child=BossValueSerializer())

    def to_representation(self, instance):
        metrics = snapshot_metrics(instance)
        overall = metrics["skills"].pop("overall")
        return super().to_representation(
            {
                "id": instance.pk,
                "fetched_at": instance.fetched_at,
                "board": instance.board,
                "overall": overall,
                **metrics,
            }
        )


class FetchQueuedSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    status_url = serializers.CharField()
    estimated_completion_seconds = serializers.FloatField(
        help_text="Seconds until the fetch is done, estimated when it was queued: "
        "`ahead / rate + limiter_wait + 1.0`, where `ahead` is the number of messages waiting "
        "in queue `interactive` before this one, `rate` is OSRS_HISCORES_RATE (each fetch ahead "
        "takes one slot of the hiscores budget, 1/rate seconds), `limiter_wait` is how long the "
        "global rate limiter makes a request wait now, and 1.0 s is one fetch itself. With the "
        "rate limit off each fetch ahead counts 1.0 s."
    )


class FallSerializer(serializers.Serializer):
    metric = serializers.CharField()
    field = serializers.CharField(help_text="experience, level or score")
    before = serializers.IntegerField()
    after = serializers.IntegerField()
    change = serializers.IntegerField(help_text="after - before (negative: it went down)")


class AcceptedReadingSerializer(serializers.Serializer):
    """The answer of POST /players/{username}/accept-reading."""

    username = serializers.CharField(source="player.username")
    snapshot_id = serializers.IntegerField(help_text="The new baseline snapshot.")
    fetched_at = serializers.DateTimeField(help_text="When the accepted reading was taken.")
    source = serializers.ChoiceField(
        choices=["kept", "hiscores"],
        help_text="kept: the rejected reading itself; hiscores: fetched again (it was not kept).",
    )
    accepted_falls = serializers.SerializerMethodField(help_text="What went down, by how much.")
    player = serializers.SerializerMethodField()

    @extend_schema_field(FallSerializer(many=True))
    def get_accepted_falls(self, acceptance) -> list[dict]:
        return FallSerializer(
            [{**fall, "change": fall["after"] - fall["before"]} for fall in acceptance.falls],
            many=True,
        ).data

    @extend_schema_field(PlayerSerializer)
    def get_player(self, acceptance) -> dict:
        return PlayerSerializer(acceptance.player).data
