"""Admin forms for players: the API's rules as field errors, and the services' errors in words.

The forms run the service as the last step of validation (`full_clean`), so any `ServiceError`
(a name taken by a concurrent add, the hiscores down, the player deleted meanwhile) becomes a
form error instead of a 500 from `save_model`. The admin's `save_model` only copies the stored
row back onto the admin's object.
"""

from __future__ import annotations

from typing import Any

from django import forms

from hiscores import tracking
from hiscores.integration.shared import web_deadline
from osrs_diff.exceptions import Conflict, NotFound, ServiceError, ValidationFailed
from players import services
from players.models import MAX_FETCH_INTERVAL_MINUTES, MIN_FETCH_INTERVAL_MINUTES, Player
from players.names import validate_username

INTERVAL_HELP = (
    f"Minutes between fetches, {MIN_FETCH_INTERVAL_MINUTES} to {MAX_FETCH_INTERVAL_MINUTES}."
)


def interval_field() -> forms.IntegerField:
    # The range as a field rule: the model's check constraint (named player_fetch_interval_range)
    # is then skipped by model validation, so its name never reaches the page.
    return forms.IntegerField(
        min_value=MIN_FETCH_INTERVAL_MINUTES,
        max_value=MAX_FETCH_INTERVAL_MINUTES,
        help_text=INTERVAL_HELP,
    )


def add_service_error(
    form: forms.BaseForm, exc: ServiceError, *, default_field: str | None
) -> None:
    """Put a service error on the form: per-field details on their fields, the rest on one field."""
    placed = False
    # Only validation errors carry per-field messages; other errors' details are data.
    if isinstance(exc, ValidationFailed) and isinstance(exc.details, dict):
        for name, messages in exc.details.items():
            if name in form.fields and name not in (form.errors or {}):
                texts = messages if isinstance(messages, list) else [messages]
                form.add_error(name, [str(text) for text in texts])
                placed = True
    if not placed:
        form.add_error(default_field, exc.message)


class ServiceForm(forms.ModelForm):
    """A model form whose valid submission is applied by a service inside validation."""

    service_error_field: str | None = None

    def perform(self) -> Player:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or self._errors:
            return
        try:
            self.stored = self.perform()
        except ServiceError as exc:
            add_service_error(self, exc, default_field=self._field_for(exc))

    def _field_for(self, exc: ServiceError) -> str | None:
        return None


class PlayerAddForm(ServiceForm):
    """Checks the name and interval without any hiscores call, then tracks via `player_track`
    (player, schedule and first snapshot), answering within the web deadline."""

    fetch_interval_minutes = interval_field()

    class Meta:
        model = Player
        fields = ["username", "fetch_interval_minutes"]

    def clean_username(self) -> str:
        try:
            return validate_username(self.cleaned_data["username"])
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from exc

    def _field_for(self, exc: ServiceError) -> str | None:
        # "already tracked" (409) and "no board knows this name" (404) are about the name;
        # hiscores outages and bad answers are about the whole submission.
        return "username" if isinstance(exc, Conflict | NotFound) else None

    def perform(self) -> Player:
        data: dict[str, Any] = self.cleaned_data
        with web_deadline():  # one attempt per board: the admin never sleeps on a retry
            return tracking.player_track(
                username=data["username"], fetch_interval_minutes=data["fetch_interval_minutes"]
            ).player


class PlayerChangeForm(ServiceForm):
    """Interval and active flag, applied with `player_update` (the schedule follows)."""

    fetch_interval_minutes = interval_field()

    class Meta:
        model = Player
        fields = ["fetch_interval_minutes", "is_active"]

    def perform(self) -> Player:
        data: dict[str, Any] = self.cleaned_data
        return services.player_update(
            player=self.instance,
            fetch_interval_minutes=data["fetch_interval_minutes"],
            is_active=data["is_active"],
        )
