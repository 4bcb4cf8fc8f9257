"""Input validation and response shapes of the drop-party API."""

from __future__ import annotations

from typing import Any

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


# (field, lowest, highest) of the integer fields of a drop report, as DropReportSerializer has them.
_REPORT_INTEGERS = (
    ("world", 1, MAX_WORLD),
    ("item_id", 0, MAX_INT32),
    ("quantity", 1, MAX_INT32),
    ("value", 0, MAX_INT64),
)
_REPORT_FIELDS = frozenset(name for name, _, _ in _REPORT_INTEGERS) | {"item_name"}


def drop_report_quick_validate(data: Any) -> dict[str, Any] | None:
    """The validated fields of a plainly valid `POST /drops` body, else None.

    DropReportSerializer costs more than the rest of a drop report's Python path (it deep-copies
    its fields per instance). This accepts only bodies the serializer accepts, with the same
    values; None means "ask the serializer", which then gives the answer and its exact errors.
    """
    if type(data) is not dict or data.keys() != _REPORT_FIELDS:
        return None
    for name, lowest, highest in _REPORT_INTEGERS:
        number = data[name]
        if type(number) is not int or not lowest <= number <= highest:
            return None
    name = data["item_name"]
    # The serializer trims whitespace and refuses NUL and lone surrogates: leave such names to it.
    if (
        type(name) is not str
        or not 1 <= len(name) <= 100
        or name != name.strip()
        or "\x00" in name
        or not (name.isascii() or name.isprintable())
    ):
        return None
    return data


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
