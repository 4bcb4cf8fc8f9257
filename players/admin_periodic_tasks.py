"""The periodic-task admin with a "player" column: `players.fetch_hiscores:6` names its player.

Replaces django-celery-beat's registration of PeriodicTask (loaded from players/admin.py, after
django_celery_beat's own admin module in INSTALLED_APPS order).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django_celery_beat.admin import PeriodicTaskAdmin as BasePeriodicTaskAdmin
from django_celery_beat.admin import PeriodicTaskForm as BasePeriodicTaskForm
from django_celery_beat.models import PeriodicTask

from osrs_diff.admin_changelists import BoundedChangeListMixin
from osrs_diff.celery import app as celery_app


class PeriodicTaskForm(BasePeriodicTaskForm):
    """The "Task (registered)" dropdown lists this project's tasks and shows the task's own.

    django-celery-beat fills it from `celery.current_app`, which in a web thread can be a bare
    default app, and never selects the task being edited (the dropdown looked empty).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["regtask"].widget
        widget.celery_app = celery_app
        widget._choices = None
        registered = {value for value, _ in widget.choices}
        if self.instance.pk and self.instance.task in registered:
            self.initial.setdefault("regtask", self.instance.task)


class PeriodicTaskAdmin(BoundedChangeListMixin, BasePeriodicTaskAdmin):
    """django-celery-beat's admin, plus the player a fetch task belongs to."""

    form = PeriodicTaskForm
    list_display = (
        "name",
        "player_link",
        "enabled",
        "interval",
        "start_time",
        "last_run_at",
    )
    search_fields = ("name", "task", "player__username")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PeriodicTask]:
        # `player` is Player.fetch_task's reverse side: one join, no query per row.
        return super().get_queryset(request).select_related("player")

    @admin.display(description="player", ordering="player__username_key")
    def player_link(self, task: PeriodicTask) -> str:
        player = getattr(task, "player", None)
        if player is None:
            return "-"
        url = reverse("admin:players_player_change", args=[player.pk])
        return format_html('<a href="{}">{}</a>', url, player.username)


if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)
