"""Group endpoints that need the hiscores: adding members (tracking missing names) and fetching
every member now. The rest of the groups API is `players.groups.views`."""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hiscores import groups
from hiscores.integration.shared import web_deadline
from osrs_diff.permissions import ADD_PLAYER
from players.groups.selectors import group_get
from players.groups.serializers import MembersAddedSerializer, MembersAddSerializer
from players.selectors import fetch_budget_warnings

TAGS = ["groups"]


class GroupMembersAddView(APIView):
    """Add tracked players to a group by name; with `track_missing`, track new names first.

    Every name gets an outcome: `added`, `already_member`, `tracked_and_added`, `not_tracked`
    (track_missing off), `not_found` (no hiscores board knows it), `invalid`, `unavailable` (the
    hiscores failed, or the request's hiscores deadline was spent: not tried), `busy` (being
    added by another request) or `repeated`. Tracking runs within one web deadline for the whole
    request: for long lists of new names use `manage.py import_group`. `track_missing` also needs
    `players.add_player` (it tracks players, like POST /players): 403 without it.
    """

    write_permissions = {"POST": "players.change_group"}
    name = "Add group members"
    browsable_example = {"POST": {"usernames": ["Zezima", "Lynx Titan"], "track_missing": True}}

    @extend_schema(
        request=MembersAddSerializer,
        responses={
            200: MembersAddedSerializer,
            400: OpenApiResponse(description="Not a list of names, or too many (500)."),
            404: OpenApiResponse(description="group_not_found"),
        },
        tags=TAGS,
    )
    def post(self, request: Request, group_id: str) -> Response:
        group = group_get(group_id=group_id)
        data = MembersAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["track_missing"] and not _may_track(request):
            # Tracking a new player is POST /players' write: a group editor needs its permission.
            raise PermissionDenied(
                "track_missing tracks new players: it needs the players.add_player permission."
            )
        with web_deadline():  # every hiscores call of the request together; never a retry sleep
            result = groups.group_members_add_names(group=group, **data.validated_data)
        tracked = result.counts[groups.MemberOutcome.TRACKED_AND_ADDED]
        body = {
            "group_id": group.pk,
            "member_count": group_get(group_id=group.pk).member_count,
            "counts": result.counts,
            "results": [row.as_dict() for row in result.results],
            # As after POST /players: the new schedules may want more than the budget.
            "warnings": fetch_budget_warnings() if tracked else [],
        }
        return Response(MembersAddedSerializer(body).data)


def _may_track(request: Request) -> bool:
    user = request.user
    return bool(user.is_staff or user.has_perm(ADD_PLAYER))


class QueuedFetchSerializer(serializers.Serializer):
    username = serializers.CharField()
    task_id = serializers.CharField()


class SkippedFetchSerializer(serializers.Serializer):
    username = serializers.CharField()
    reason = serializers.ChoiceField(choices=[str(r) for r in groups.SkipReason])


class GroupFetchSerializer(serializers.Serializer):
    group_id = serializers.IntegerField()
    queued = serializers.IntegerField(help_text="Fetches queued now (on `interactive`).")
    skipped = serializers.IntegerField()
    skipped_by_reason = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="paused, fetched_recently (within 5 minutes), pending (queued by an earlier "
        "group fetch), over_cap (past the 100 fetches one call may queue).",
    )
    estimated_completion_seconds = serializers.FloatField(
        help_text="When the last queued fetch should be done, from the shared interactive line."
    )
    estimated_completion_at = serializers.DateTimeField(allow_null=True)
    fetches = QueuedFetchSerializer(many=True, help_text="Follow each at /tasks/{task_id}.")
    skipped_members = SkippedFetchSerializer(many=True)


class GroupFetchView(APIView):
    """Queue a fetch of every active member now, within the budget (docs/groups.md).

    Members fetched in the last 5 minutes, or queued by an earlier call whose fetches should not
    be done yet, are skipped, so a second call at once queues nobody twice. One call queues at
    most 100 fetches (least recently fetched first); call again for the rest.
    """

    # Fetching spends the hiscores budget on players: the permission of fetching one player.
    write_permissions = {"POST": "players.change_player"}
    name = "Fetch group now"

    @extend_schema(
        request=None,
        responses={
            202: GroupFetchSerializer,
            200: OpenApiResponse(GroupFetchSerializer, description="Nothing needed a fetch."),
            404: OpenApiResponse(description="group_not_found"),
            503: OpenApiResponse(description="broker_unavailable"),
        },
        tags=TAGS,
    )
    def post(self, request: Request, group_id: str) -> Response:
        group = group_get(group_id=group_id)
        fetch = groups.group_fetch(group=group, user=request.user)
        seconds = fetch.estimated_completion_seconds
        body = {
            "group_id": group.pk,
            "queued": len(fetch.queued),
            "skipped": len(fetch.skipped),
            "skipped_by_reason": fetch.skipped_by_reason,
            "estimated_completion_seconds": seconds,
            "estimated_completion_at": fetch.at + timedelta(seconds=seconds)
            if fetch.queued
            else None,
            "fetches": [{"username": u, "task_id": t} for u, t in fetch.queued],
            "skipped_members": [{"username": u, "reason": str(r)} for u, r in fetch.skipped],
        }
        code = status.HTTP_202_ACCEPTED if fetch.queued else status.HTTP_200_OK
        return Response(GroupFetchSerializer(body).data, status=code)
