"""Input and output shapes of the groups API (no side effects: services do the writes)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from osrs_diff.fields import RejectUnknownFieldsMixin, StrictBooleanField, StrictCharField
from players.models import Group, GroupMembership

# One request adds at most this many names (bigger lists: `manage.py import_group`).
MAX_USERNAMES = 500
DESCRIPTION_MAX_LENGTH = 2000


class GroupCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    # Name rules (blank, length, uniqueness) are the service's, for every interface alike.
    name = StrictCharField(allow_blank=True, trim_whitespace=False, max_length=200)
    description = StrictCharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH
    )


class GroupUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    name = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, max_length=200)
    description = StrictCharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH
    )


class MembersAddSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    usernames = serializers.ListField(
        child=StrictCharField(allow_blank=True, trim_whitespace=False, max_length=64),
        allow_empty=False,
        max_length=MAX_USERNAMES,
    )
    track_missing = StrictBooleanField(
        required=False,
        default=False,
        help_text="Also start tracking names that are not tracked yet (the normal add path).",
    )
    role = StrictCharField(required=False, allow_blank=True, default="", max_length=32)


class MemberUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    role = StrictCharField(allow_blank=True, max_length=32)


class GroupSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Group
        fields = ["id", "name", "description", "created_at", "member_count"]
        read_only_fields = fields


class GroupMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="player.username")
    game_mode = serializers.CharField(source="player.game_mode")
    is_active = serializers.BooleanField(source="player.is_active")
    last_fetched = serializers.DateTimeField(source="player.last_fetched", allow_null=True)
    flagged = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField()

    class Meta:
        model = GroupMembership
        fields = [
            "username",
            "role",
            "joined_at",
            "game_mode",
            "is_active",
            "last_fetched",
            "flagged",
            "missing",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_flagged(self, membership: GroupMembership) -> bool:
        return bool(membership.player.flag_reason)

    @extend_schema_field(serializers.BooleanField())
    def get_missing(self, membership: GroupMembership) -> bool:
        return membership.player.missing_since is not None


class GroupDetailSerializer(GroupSerializer):
    members = serializers.SerializerMethodField()

    class Meta(GroupSerializer.Meta):
        fields = [*GroupSerializer.Meta.fields, "members"]
        read_only_fields = fields

    @extend_schema_field(GroupMemberSerializer(many=True))
    def get_members(self, group: Group) -> list[dict]:
        return GroupMemberSerializer(self.context["memberships"], many=True).data


class MemberOutcomeSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The name as given.")
    outcome = serializers.CharField(
        help_text="added, already_member, tracked_and_added, not_tracked, not_found, invalid, "
        "unavailable, busy or repeated."
    )
    username = serializers.CharField(allow_null=True, help_text="The tracked player's name.")
    message = serializers.CharField(allow_blank=True)


class MembersAddedSerializer(serializers.Serializer):
    group_id = serializers.IntegerField()
    member_count = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    results = MemberOutcomeSerializer(many=True)
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="When players were tracked and the schedules now want more fetches than the "
        "hiscores budget allows (as after POST /players); empty otherwise.",
    )
