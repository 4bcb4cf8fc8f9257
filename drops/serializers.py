"""Input validation and response shapes of the drop-party API."""

from __future__ import annotations

from rest_framework import serializers

from drops.models import MAX_INT32, MAX_INT64, MAX_WORLD, Drop, Party
from osrs_diff.fields import RejectUnknownFieldsMixin, StrictCharField, StrictIntegerField


class DropReportSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The body of `POST /drops` (snake_case, as existing game clients send it)."""

    world = StrictIntegerField(min_value=1, max_value=MAX_WORLD)
    item_id = StrictIntegerField(min_value=0, max_value=MAX_INT32)
    item_name = StrictCharField(min_length=1, max_length=100)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_INT32)
    value = StrictIntegerField(min_value=0, max_value=MAX_INT64, help_text="Total GP of the stack.")


class DropReportResponseSerializer(serializers.Serializer):
    """Documentation of the `POST /drops` answers (201 created/added, 200 ignored)."""

    status = serializers.ChoiceField(choices=["party_created", "drop_added", "ignored"])
    reason = serializers.CharField(required=False, help_text="Only when ignored.")
    party_id = serializers.IntegerField()
    world = serializers.IntegerField(required=False)
    total_drops = serializers.IntegerField(required=False)
    avg_drop_value = serializers.IntegerField(required=False)
    message = serializers.CharField()


class ActivePartySerializer(serializers.ModelSerializer):
    avg_drop = serializers.IntegerField(read_only=True)
    time_since_last_drop = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = [
            "id",
            "world",
            "avg_drop",
            "total_drops",
            "created_at",
            "last_drop_at",
            "time_since_last_drop",
        ]

    def get_time_since_last_drop(self, party: Party) -> float:
        return round((self.context["now"] - party.last_drop_at).total_seconds(), 3)


class ActivePartiesSerializer(serializers.Serializer):
    active_parties = ActivePartySerializer(many=True)


class EndedPartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    world = serializers.IntegerField()
    total_drops = serializers.IntegerField()
    avg_drop = serializers.IntegerField()
    duration_minutes = serializers.FloatField()


class CleanupSerializer(serializers.Serializer):
    status = serializers.CharField()
    parties_ended = serializers.IntegerField()
    details = EndedPartySerializer(many=True)


class DropSerializer(serializers.ModelSerializer):
    class Meta:
        model = Drop
        fields = ["id", "item_id", "item_name", "quantity", "value", "received_at"]


class BiggestDropSerializer(serializers.ModelSerializer):
    class Meta:
        model = Drop
        fields = ["id", "item_id", "item_name", "quantity", "value"]


class PartySerializer(serializers.ModelSerializer):
    """A party with its totals (detail and history)."""

    status = serializers.SerializerMethodField()
    ended_at = serializers.SerializerMethodField()
    avg_drop = serializers.IntegerField(read_only=True)
    total_value = serializers.IntegerField(read_only=True)
    unique_items = serializers.IntegerField(read_only=True)
    biggest_drop = BiggestDropSerializer(read_only=True, allow_null=True)
    duration_minutes = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = [
            "id",
            "world",
            "status",
            "created_at",
            "last_drop_at",
            "ended_at",
            "duration_minutes",
            "total_drops",
            "avg_drop",
            "total_value",
            "unique_items",
            "biggest_drop",
        ]

    def get_status(self, party: Party) -> str:
        return "active" if party.effective_ended_at > self.context["now"] else "ended"

    def get_ended_at(self, party: Party) -> str | None:
        if party.effective_ended_at > self.context["now"]:
            return None
        return serializers.DateTimeField().to_representation(party.effective_ended_at)

    def get_duration_minutes(self, party: Party) -> float:
        return round((party.last_drop_at - party.created_at).total_seconds() / 60, 3)
