"""Admin for players: every write goes through the same services as the API."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from osrs_diff.api_tasks import api_task_start
from osrs_diff.exceptions import ServiceError
from players import schedules, selectors, services
from players.admin_periodic_tasks import PeriodicTaskAdmin  # noqa: F401 (registers it)
from players.models import GameModeChange, Player
from players.names import normalise_username


class PlayerAddForm(forms.ModelForm):
    """Checks the name and asks the hiscores in clean(); save_model stores via the service."""

    class Meta:
        model = Player
        fields = ["username", "fetch_interval_minutes"]

    def clean(self):
        cleaned = super().clean()
        username = cleaned.get("username")
        interval = cleaned.get("fetch_interval_minutes")
        if username is None or interval is None:
            return cleaned
        try:
            services.validate_fetch_interval(interval)
            if Player.objects.filter(username_key=normalise_username(username)).exists():
                raise forms.ValidationError({"username": "This player is already tracked."})
            detection = services.game_mode_detect(username=username)
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from exc
        if detection.mode is None:
            raise forms.ValidationError({"username": "No hiscores board knows this name."})
        self.detection = detection
        return cleaned


class GameModeChangeInline(admin.TabularInline):
    model = GameModeChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_mode", "to_mode", "detected_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class FlaggedFilter(admin.SimpleListFilter):
    """Players whose latest reading was rejected by the data-quality guard."""

    title = "flagged"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged"), ("no", "Not flagged")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(flag_reason="")
        if self.value() == "no":
            return queryset.filter(flag_reason="")
        return queryset


@admin.register(Player)
class PlayerAdmin(admin.ModelAdmin):
    list_display = [
        "username",
        "game_mode",
        "is_active",
        "fetch_interval_minutes",
        "schedule",
        "last_fetched",
        "last_changed",
        "last_fetch_status",
        "flagged",
        "created_at",
    ]
    list_filter = ["game_mode", "is_active", FlaggedFilter, "last_fetch_status"]
    search_fields = ["username_key"]
    list_select_related = ["fetch_task__interval"]
    ordering = ["username_key"]
    inlines = [GameModeChangeInline]
    actions = ["fetch_now", "pause", "resume", "check_game_mode", "resync_schedule"]
    readonly_fields = [
        "username",
        "game_mode",
        "schedule",
        "created_at",
        "last_fetched",
        "last_changed",
        "game_mode_checked_at",
        "last_fetch_status",
        "flag_reason",
        "flagged_at",
        "latest_snapshot",
        "overall_xp_chart",
    ]

    @admin.display(description="Flagged", boolean=True)
    def flagged(self, obj: Player) -> bool:
        return bool(obj.flag_reason)

    @admin.display(description="Latest snapshot")
    def latest_snapshot(self, obj: Player) -> str:
        from hiscores.selectors import snapshot_latest

        snapshot = snapshot_latest(player=obj)
        if snapshot is None:
            return "none yet"
        url = reverse("admin:hiscores_snapshot_change", args=[snapshot.pk])
        listing = reverse("admin:hiscores_snapshot_changelist") + f"?player__id__exact={obj.pk}"
        return format_html(
            '<a href="{}">{:%Y-%m-%d %H:%M} UTC</a>: total level {}, {} XP '
            '(<a href="{}">all snapshots</a>)',
            url,
            snapshot.fetched_at,
            snapshot.overall_level,
            f"{snapshot.overall_experience:,}" if snapshot.overall_experience else "unranked",
            listing,
        )

    @admin.display(description="Overall XP, last 30 days")
    def overall_xp_chart(self, obj: Player) -> str:
        # The history app's SVG chart; the admin's session login authenticates the <img> request.
        url = reverse("player-history-chart", args=[obj.username, "overall"])
        return format_html(
            '<img src="{}?period=30d" alt="Overall XP of {}, last 30 days" width="720">',
            url,
            obj.username,
        )

    @admin.display(description="Schedule")
    def schedule(self, obj: Player) -> str:
        if obj.fetch_task_id is None:
            return "missing (run sync_player_schedules)"
        task = obj.fetch_task
        url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
        state = "enabled" if task.enabled else "disabled"
        return format_html('<a href="{}">{}</a> ({})', url, task.interval, state)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PlayerAddForm
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj=None):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["schedule"]
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["username", "fetch_interval_minutes"]
        return [*self.readonly_fields[:2], "fetch_interval_minutes", "is_active"] + [
            f for f in self.readonly_fields[2:]
        ]

    def get_search_results(self, request, queryset, search_term):
        # Search on the normalised key, like the API (any spelling of a name matches).
        return selectors.players_matching(queryset, search=search_term), False

    def save_model(self, request, obj: Player, form, change: bool) -> None:
        if change:
            updated = services.player_update(
                player=obj,
                fetch_interval_minutes=obj.fetch_interval_minutes,
                is_active=obj.is_active,
            )
        else:
            updated = services.player_create(
                username=obj.username,
                fetch_interval_minutes=obj.fetch_interval_minutes,
                detection=form.detection,
            ).player
        # The admin logs and redirects with this object: give it what the service stored.
        for name in ("pk", "username_key", "game_mode", "fetch_task_id", "created_at"):
            setattr(obj, name, getattr(updated, name))
        obj._state.adding = False

    def delete_model(self, request, obj: Player) -> None:
        services.player_delete(player=obj)

    def delete_queryset(self, request, queryset: QuerySet[Player]) -> None:
        services.players_delete(players=queryset)

    def _each(self, request, queryset, service, done: str) -> None:
        count = 0
        for player in queryset:
            try:
                service(player=player)
                count += 1
            except ServiceError as exc:
                self.message_user(request, f"{player}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} {count} player(s).", messages.SUCCESS)

    @admin.action(description="Fetch now")
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        for player in queryset:
            api_task_start(
                task=schedules.FETCH_TASK,
                kwargs={"player_id": player.pk},
                user=request.user,
                ignore_result=False,  # keep the outcome visible at /tasks/{id}
            )
        self.message_user(request, f"Queued a fetch of {queryset.count()} player(s).")

    @admin.action(description="Pause")
    def pause(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        self._each(request, queryset, services.player_pause, "Paused")

    @admin.action(description="Resume")
    def resume(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        self._each(request, queryset, services.player_resume, "Resumed")

    @admin.action(description="Check game mode")
    def check_game_mode(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        self._each(request, queryset, services.player_game_mode_update, "Checked")

    @admin.action(description="Re-sync schedule")
    def resync_schedule(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        self._each(request, queryset, services.player_schedule_resync, "Re-synced")
