"""Admin for operations: every system task with its schedule and last result, and "Run now"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from osrs_diff.admin_changelists import BoundedChangeListMixin
from osrs_diff.exceptions import ServiceError
from osrs_diff.system import selectors, services
from osrs_diff.system.models import SystemTask


@admin.register(SystemTask)
class SystemTaskAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    """Read-only list of system PeriodicTasks; edit the schedule itself under Periodic tasks."""

    list_display = (
        "name",
        "task",
        "schedule_text",
        "enabled",
        "last_run_at",
        "next_run",
        "total_run_count",
        "last_result",
    )
    list_filter = ("enabled",)
    search_fields = ("name", "task")
    actions = ["run_now"]
    fields = (
        "name",
        "task",
        "description",
        "schedule_text",
        "enabled",
        "last_run_at",
        "next_run",
        "total_run_count",
        "last_result",
        "edit_schedule",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.system_tasks_with_results(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="schedule")
    def schedule_text(self, obj: SystemTask) -> str:
        return selectors.schedule_describe(obj)

    @admin.display(description="next run")
    def next_run(self, obj: SystemTask):
        return selectors.task_next_run(obj, now=timezone.now()) or "-"

    @admin.display(description="last result")
    def last_result(self, obj: SystemTask) -> str:
        result = selectors.last_result_from_annotations(obj)
        if result is None:
            return "-"
        when = f" at {result.finished_at:%Y-%m-%d %H:%M:%S} UTC" if result.finished_at else ""
        return f"{result.state}{when}: {result.summary}"

    @admin.display(description="edit")
    def edit_schedule(self, obj: SystemTask) -> str:
        url = reverse("admin:django_celery_beat_periodictask_change", args=[obj.pk])
        return format_html('<a href="{}">Edit this periodic task</a>', url)

    @admin.action(description="Run the selected system tasks now")
    def run_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        for task in queryset:
            try:
                task_id = services.system_task_run(name=task.name, user=request.user)
            except ServiceError as exc:
                self.message_user(request, f"{task.name}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{task.name}: started (task id {task_id}).")
