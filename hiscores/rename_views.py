"""POST /players/{username}/rename: verify a new name against the hiscores, then rename."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hiscores.integration.shared import web_deadline
from hiscores.renames import player_rename
from players.name_serializers import (
    NameChangeSerializer,
    RenameResultSerializer,
    RenameSerializer,
)
from players.selectors import player_get
from players.serializers import PlayerSerializer


class PlayerRenameView(APIView):
    """Rename a player in place after checking the new name is the same account (docs/names.md)."""

    write_permissions = {"POST": "players.change_player"}
    name = "Rename player"
    browsable_example = {"POST": {"new_username": "New Name", "force": False, "merge": False}}

    @extend_schema(
        request=RenameSerializer,
        responses={
            200: RenameResultSerializer,
            409: OpenApiResponse(
                description="name_change_rejected (every check in details), name_taken (send "
                "merge), or renamed_meanwhile; nothing changed."
            ),
            502: OpenApiResponse(description="hiscores_unavailable: nothing changed."),
            503: OpenApiResponse(description="rate_limited (Retry-After), or our side is down."),
        },
        tags=["players"],
    )
    def post(self, request: Request, username: str) -> Response:
        player = player_get(username=username)
        data = RenameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with web_deadline():  # one attempt per name; 502/503 at once, never a retry sleep
            rename = player_rename(player=player, user=request.user, **data.validated_data)
        return Response(
            {
                "player": PlayerSerializer(rename.player).data,
                "name_change": NameChangeSerializer(rename.name_change).data,
            }
        )
