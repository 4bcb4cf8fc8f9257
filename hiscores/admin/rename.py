"""The admin's "Rename..." page: the API's rename service, its checks shown in words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from hiscores.integration.shared import web_deadline
from hiscores.renames import NameChangeRejected, player_rename
from osrs_diff.exceptions import ServiceError
from players.models import Player


class RenameForm(forms.Form):
    new_username = forms.CharField(
        label="New name", max_length=64, help_text="The name the account has now."
    )
    force = forms.BooleanField(
        required=False,
        help_text="Rename even if the old name is still on the hiscores (they can lag behind).",
    )
    merge = forms.BooleanField(
        required=False,
        help_text="If the new name is tracked as another player, fold its history into this one "
        "and remove it.",
    )

    def __init__(self, *args: Any, player: Player, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.player, self.user = player, user
        self.failed_checks: list[Any] = []
        self.rename = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            with web_deadline():
                self.rename = player_rename(
                    player=self.player,
                    new_username=data["new_username"],
                    force=data.get("force", False),
                    merge=data.get("merge", False),
                    user=self.user,
                )
        except NameChangeRejected as exc:
            self.failed_checks = exc.failed
            for check in exc.failed:
                self.add_error(None, f"{check.name.replace('_', ' ').capitalize()}: {check.detail}")
        except ServiceError as exc:
            self.add_error(None, exc.message)
        return data


def rename_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """GET: the form; POST: rename, then back to the player's page (errors stay on the form)."""
    player = get_object_or_404(Player, pk=object_id)
    if not model_admin.has_change_permission(request, player):
        raise PermissionDenied
    form = RenameForm(request.POST or None, player=player, user=request.user)
    if request.method == "POST" and form.is_valid():
        rename = form.rename
        merged = (
            f"; merged player {rename.merged_player_id} into it" if rename.merged_player_id else ""
        )
        model_admin.message_user(
            request,
            f"Renamed {rename.name_change.old_username!r} to {rename.player.username!r}{merged}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse(
                "admin:players_player_change",
                args=[player.pk],
                current_app=model_admin.admin_site.name,
            )
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Rename {player.username}",
        "opts": model_admin.model._meta,
        "original": player,
        "form": form,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/players/player/rename.html", context)
