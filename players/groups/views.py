"""Thin views of the groups API: create, read, rename and delete groups, remove members.

Adding members (which may track new players) and fetching a group live in `hiscores.group_views`;
gains and stats in `history.group_views`.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from players.groups import selectors, services
from players.groups.serializers import (
    GroupCreateSerializer,
    GroupDetailSerializer,
    GroupMemberSerializer,
    GroupSerializer,
    GroupUpdateSerializer,
    MemberUpdateSerializer,
)
from players.models import Player
from players.names import validate_username
from players.selectors import player_get

TAGS = ["groups"]


def group_detail_data(group) -> dict:
    memberships = selectors.group_memberships(group=group)
    return GroupDetailSerializer(group, context={"memberships": memberships}).data


class GroupListCreateView(generics.ListAPIView):
    """Every group with its member count, by name; or create one."""

    write_permissions = {"POST": "players.add_group"}
    name = "Groups"
    browsable_example = {"POST": {"name": "Iron Clan", "description": "Our clan."}}

    serializer_class = GroupSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.group_list()

    @extend_schema(tags=TAGS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=GroupCreateSerializer,
        responses={
            201: GroupDetailSerializer,
            400: OpenApiResponse(description="A blank or too long name."),
            409: OpenApiResponse(description="group_exists: the name is taken (any case)."),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = GroupCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_create(**data.validated_data)
        group = selectors.group_get(group_id=group.pk)
        return Response(
            group_detail_data(group),
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/groups/{group.pk}"},
        )


class GroupDetailView(APIView):
    """One group and its members (username, role, game mode, state)."""

    write_permissions = {"PATCH": "players.change_group", "DELETE": "players.delete_group"}
    name = "Group"
    browsable_example = {"PATCH": {"description": "Our clan, since 2013."}}

    @extend_schema(responses=GroupDetailSerializer, tags=TAGS)
    def get(self, request: Request, group_id: str) -> Response:
        return Response(group_detail_data(selectors.group_get(group_id=group_id)))

    @extend_schema(request=GroupUpdateSerializer, responses=GroupDetailSerializer, tags=TAGS)
    def patch(self, request: Request, group_id: str) -> Response:
        group = selectors.group_get(group_id=group_id)
        data = GroupUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.group_update(group=group, **data.validated_data)
        return Response(group_detail_data(selectors.group_get(group_id=group.pk)))

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request: Request, group_id: str) -> Response:
        services.group_delete(group=selectors.group_get(group_id=group_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMemberView(APIView):
    """One member of a group: change its role, or remove it (the player stays tracked).

    The name resolves like /players/{username}: any spelling, or a name the player gave up. A
    name no player can have (too long, characters outside the OSRS rules) is a 400.
    """

    write_permissions = {"PATCH": "players.change_group", "DELETE": "players.change_group"}
    name = "Group member"
    browsable_example = {"PATCH": {"role": "leader"}}

    @extend_schema(request=MemberUpdateSerializer, responses=GroupMemberSerializer, tags=TAGS)
    def patch(self, request: Request, group_id: str, username: str) -> Response:
        group = selectors.group_get(group_id=group_id)
        data = MemberUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = _member_player(username)
        membership = services.group_member_update(group=group, player=player, **data.validated_data)
        membership.player = player
        return Response(GroupMemberSerializer(membership).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request: Request, group_id: str, username: str) -> Response:
        group = selectors.group_get(group_id=group_id)
        services.group_member_remove(group=group, player=_member_player(username))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _member_player(username: str) -> Player:
    """The tracked player the path names; 400 for an impossible name (the message never echoes
    it whole), 404 when no player has it."""
    return player_get(username=validate_username(username))
