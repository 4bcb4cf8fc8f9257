"""Input and output shapes of name changes (POST /players/{username}/rename, GET .../names)."""

from __future__ import annotations

from rest_framework import serializers

from osrs_diff.fields import RejectUnknownFieldsMixin, StrictBooleanField, StrictCharField
from players.models import NameChange
from players.serializers import PlayerSerializer


class RenameSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    # Name rules are checked by the service (the `name_valid` check) so every interface agrees.
    new_username = StrictCharField(allow_blank=True, trim_whitespace=False, max_length=64)
    force = StrictBooleanField(
        default=False, help_text="Skip the check that the old name left the hiscores (recorded)."
    )
    merge = StrictBooleanField(
        default=False,
        help_text="Fold the history of a player already tracked under the new name into this one.",
    )


class NameCheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    passed = serializers.BooleanField(allow_null=True, help_text="null: not checked.")
    detail = serializers.CharField()


class NameChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    checks = NameCheckSerializer(many=True, read_only=True)

    class Meta:
        model = NameChange
        fields = [
            "old_username",
            "new_username",
            "changed_at",
            "changed_by",
            "forced",
            "merged_player_id",
            "checks",
        ]
        read_only_fields = fields


class RenameResultSerializer(serializers.Serializer):
    player = PlayerSerializer()
    name_change = NameChangeSerializer()
