"""GET /players/{username}/names: a player's name history (the rename itself: hiscores)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from players import selectors
from players.name_serializers import NameChangeSerializer


class PlayerNameListView(generics.ListAPIView):
    """The player's former names, newest first (a former name finds the player too)."""

    name = "Player names"

    serializer_class = NameChangeSerializer
    filter_backends: list = []

    def get_queryset(self):
        player = selectors.player_get(username=self.kwargs["username"])
        return selectors.player_name_changes(player=player).select_related("changed_by")

    @extend_schema(tags=["players"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
