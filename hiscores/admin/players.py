"""Admin for players: every write goes through the same services as the API."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from hiscores.admin.forms import PlayerAddForm, PlayerChangeForm
from hiscores.admin.rename import rename_view
from hiscores.integration.shared import web_deadline
from hiscores.selectors import snapshot_latest
from osrs_diff.admin_changelists import BoundedChangeListMixin
from osrs_diff.api_tasks import api_task_start
from osrs_diff.exceptions import ServiceError
from osrs_diff.queues import interactive_send_options
from players import schedules, selectors, services
from players.admin_periodic_tasks import PeriodicTaskAdmin  # noqa: F401 (registers it)
from players.models import Player
from players.tasks import CHECK_GAME_MODE

_CHECK_STATES = {True: "ok", False: "failed", None: "not checked"}


class MissingFilter(admin.SimpleListFilter):
    """Players whose fetches found no board MISSING_AFTER_FETCHES times in a row."""

    title = "missing"
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [("yes", "Missing"), ("no", "Not missing")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(missing_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(missing_since__isnull=True)
        return queryset


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
class PlayerAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    list_display = [
        "username",
        "game_mode",
        "is_active",
        "fetch_interval_minutes",
        "effective_interval",
        "schedule",
        "last_fetched",
        "last_changed",
        "last_fetch_status",
        "flagged",
        "missing",
        "created_at",
    ]
    list_filter = ["game_mode", "is_active", FlaggedFilter, MissingFilter, "last_fetch_status"]
    search_fields = ["username_key"]
    list_select_related = ["fetch_task__interval"]
    ordering = ["username_key"]
    actions = [
        "fetch_now",
        "pause",
        "resume",
        "check_game_mode",
        "resync_schedule",
        "accept_latest_reading",
        "rename",
    ]
    readonly_fields = [
        "username",
        "game_mode",
        "effective_interval",
        "schedule",
        "created_at",
        "last_fetched",
        "last_changed",
        "game_mode_checked_at",
        "last_fetch_status",
        "flag_reason",
        "flagged_at",
        "missing_since",
        "missing_fetches",
        "name_history",
        "latest_snapshot",
    ]

    @admin.display(description="Effective interval (min)")
    def effective_interval(self, obj: Player) -> str:
        # What scheduled fetches run at now; adaptive fetching stretches it for idle players.
        minutes = obj.schedule_interval_minutes
        if minutes == obj.fetch_interval_minutes:
            return str(minutes)
        return f"{minutes} (backed off from {obj.fetch_interval_minutes})"

    @admin.display(description="Flagged", boolean=True)
    def flagged(self, obj: Player) -> bool:
        return bool(obj.flag_reason)

    @admin.display(description="Missing", boolean=True)
    def missing(self, obj: Player) -> bool:
        return obj.missing_since is not None

    @admin.display(description="Name history")
    def name_history(self, obj: Player) -> str:
        # Read-only, shown in place (not a formset: the change form's POST stays as it was).
        changes = selectors.player_name_changes(player=obj).select_related("changed_by")
        if not changes:
            return "no renames"
        return format_html(
            "<table><thead><tr><th>When (UTC)</th><th>Old name</th><th>New name</th><th>By</th>"
            "<th>Forced</th><th>Merged player</th><th>Checks</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                "<td>{}</td></tr>",
                (
                    (
                        f"{c.changed_at:%Y-%m-%d %H:%M}",
                        c.old_username,
                        c.new_username,
                        c.changed_by or "-",
                        "yes" if c.forced else "no",
                        c.merged_player_id or "-",
                        "; ".join(
                            f"{check['name']}: {_CHECK_STATES[check['passed']]}"
                            for check in c.checks
                        ),
                    )
                    for c in changes
                ),
            ),
        )

    @admin.display(description="Latest snapshot")
    def latest_snapshot(self, obj: Player) -> str:
        snapshot = snapshot_latest(player=obj)
        if snapshot is None:
            return "none yet"
        url = reverse("admin:hiscores_snapshot_change", args=[snapshot.pk])
        listing = reverse("admin:hiscores_snapshot_changelist") + f"?player__id__exact={obj.pk}"
        # format_html escapes its arguments into strings first, so a format spec such as
        # {:%Y-%m-%d} fails there (and the admin shows "-"): format the values beforehand.
        return format_html(
            '<a href="{}">{} UTC</a>: total level {}, {} XP (<a href="{}">all snapshots</a>)',
            url,
            f"{snapshot.fetched_at:%Y-%m-%d %H:%M}",
            snapshot.overall_level,
            f"{snapshot.overall_experience:,}" if snapshot.overall_experience else "unranked",
            listing,
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
        kwargs["form"] = PlayerAddForm if obj is None else PlayerChangeForm
        return super().get_form(request, obj, **kwargs)

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
        # The form already stored it through the service (hiscores/admin/forms.py), so a service
        # error was a form error. The admin logs and redirects with this object: give it what
        # the service stored.
        updated = form.stored
        for name in (
            "pk",
            "username",
            "username_key",
            "game_mode",
            "fetch_task_id",
            "created_at",
            "fetch_interval_minutes",
            "is_active",
        ):
            setattr(obj, name, getattr(updated, name))
        obj._state.adding = False
        for warning in selectors.fetch_budget_warnings():  # saved all the same
            self.message_user(request, warning, messages.WARNING)

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

    def _queue_each(self, request, queryset, task: str, what: str) -> None:
        # A person asked: queue `interactive`, never behind the scheduled backlog.
        count = 0
        for player in queryset:
            try:
                api_task_start(
                    task=task,
                    kwargs={"player_id": player.pk},
                    user=request.user,
                    ignore_result=False,  # keep the outcome visible at /tasks/{id}
                    **interactive_send_options(),
                )
                count += 1
            except ServiceError as exc:
                self.message_user(request, f"{player}: {exc.message}", messages.ERROR)
                break  # the broker is down: the next send would fail the same way
        self.message_user(request, f"Queued {what} of {count} player(s).")

    @admin.action(description="Fetch now", permissions=["change"])
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        self._queue_each(request, queryset, schedules.FETCH_TASK, "a fetch")

    @admin.action(description="Pause", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        self._each(request, queryset, services.player_pause, "Paused")

    @admin.action(description="Resume", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        self._each(request, queryset, services.player_resume, "Resumed")

    @admin.action(description="Check game mode", permissions=["change"])
    def check_game_mode(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        # Queued rather than run in the request: each player costs up to four hiscores requests
        # at the polite rate, and the task retries a hiscores outage.
        self._queue_each(request, queryset, CHECK_GAME_MODE, "a game-mode check")

    @admin.action(description="Accept latest reading", permissions=["change"])
    def accept_latest_reading(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        # Stores each flagged player's rejected reading as a baseline (hiscores.baselines).
        from hiscores.baselines import snapshot_baseline_accept

        with web_deadline():
            self._each(
                request, queryset, snapshot_baseline_accept, "Accepted the latest reading of"
            )

    @admin.action(description="Re-sync schedule", permissions=["change"])
    def resync_schedule(self, request: HttpRequest, queryset: QuerySet[Player]) -> None:
        self._each(request, queryset, services.player_schedule_resync, "Re-synced")

    @admin.action(description="Rename...", permissions=["change"])
    def rename(self, request: HttpRequest, queryset: QuerySet[Player]):
        # One player at a time: the form page asks for its new name (hiscores/admin/rename.py).
        players = list(queryset[:2])
        if len(players) != 1:
            self.message_user(request, "Select exactly one player to rename.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:players_player_rename", args=[players[0].pk]))

    def get_urls(self):
        rename = self.admin_site.admin_view(
            lambda request, object_id: rename_view(self, request, object_id)
        )
        return [
            path("<path:object_id>/rename/", rename, name="players_player_rename"),
            *super().get_urls(),
        ]
