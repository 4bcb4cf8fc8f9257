"""Admin for operations: system tasks ("Run now"), webhooks and their delivery log."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from osrs_diff.admin_changelists import BoundedChangeListMixin
from osrs_diff.exceptions import ServiceError
from osrs_diff.system import selectors, services
from osrs_diff.system.models import SystemTask, Webhook, WebhookDelivery
from osrs_diff.system.webhooks import services as webhook_services

# The admin index: Players first, then the operations dashboard (osrs_diff.system.dashboard).
admin.site.index_template = "admin/system/index.html"


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


class WebhookDeliveryInline(admin.TabularInline):
    """The webhook's latest deliveries (the full log: Webhook deliveries)."""

    model = WebhookDelivery
    fields = (
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    )
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-id",)
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("event")


class WebhookForm(forms.ModelForm):
    """The secret is typed in, never shown back (blank keeps the current one)."""

    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        help_text="http or https only. The server POSTs here: staff choose URLs with care.",
    )
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="HMAC-SHA256 key of X-OSRS-Diff-Signature. Leave blank to keep the current one.",
    )

    class Meta:
        model = Webhook
        fields = ("name", "url", "events", "format", "secret", "enabled")

    def clean_secret(self) -> str:
        secret = self.cleaned_data.get("secret") or ""
        if not secret and self.instance.pk:
            return self.instance.secret
        return secret


@admin.register(Webhook)
class WebhookAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    """Webhooks: where events go, whether they arrive, and why one was disabled."""

    form = WebhookForm
    list_display = (
        "__str__",
        "url",
        "format",
        "events",
        "enabled",
        "consecutive_failures",
        "disabled_reason",
    )
    list_filter = ("enabled", "format")
    search_fields = ("name", "url")
    readonly_fields = ("consecutive_failures", "disabled_reason", "disabled_at", "created_at")
    inlines = [WebhookDeliveryInline]
    actions = ["enable"]

    def save_model(self, request: HttpRequest, obj: Webhook, form, change: bool) -> None:
        fields = {
            key: form.cleaned_data[key] for key in form.Meta.fields if key in form.cleaned_data
        }
        if change:
            webhook_services.webhook_update(webhook=obj, **fields)
        else:
            obj.pk = webhook_services.webhook_create(**fields).pk

    def delete_model(self, request: HttpRequest, obj: Webhook) -> None:
        webhook_services.webhook_delete(webhook=obj)

    @admin.action(description="Enable (and clear the failure count)")
    def enable(self, request: HttpRequest, queryset: QuerySet) -> None:
        for webhook in queryset:
            webhook_services.webhook_update(webhook=webhook, enabled=True)
        self.message_user(request, f"{queryset.count()} webhook(s) enabled.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    """The delivery log: one row per event per webhook, with its attempts."""

    list_display = (
        "id",
        "webhook",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "webhook")
    list_select_related = ("webhook", "event")
    search_fields = ("event__name", "webhook__url", "last_error")
    readonly_fields = (
        "event",
        "webhook",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "payload",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="event data")
    def payload(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.event.data, indent=2))
