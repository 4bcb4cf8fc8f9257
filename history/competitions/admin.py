"""Competitions in the admin: participants and teams inline, the standings read-only, a status
filter. Deletes (one or a selection) remove the clocked tasks too (the model's delete owns it);
saves bring the tasks in line through the service."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from history.competitions import services, standings
from history.competitions.models import Competition, CompetitionParticipant, CompetitionTeam
from osrs_diff.admin_changelists import BoundedChangeListMixin
from osrs_diff.exceptions import ValidationFailed


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(str(status), status.label) for status in Competition.Status]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() in Competition.Status.values:
            ids = standings.competition_list(status=self.value()).values("pk")
            return queryset.filter(pk__in=ids)
        return queryset


class CompetitionForm(forms.ModelForm):
    class Meta:
        model = Competition
        fields = ("title", "metric", "kind", "starts_at", "ends_at")

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "Must be after the start.")
        instance = self.instance
        if instance.pk and instance.status_at() != Competition.Status.FINISHED:
            # As PATCH: no date of a competition that has not ended moved to now or before.
            moved = {
                name: cleaned[name]
                for name in ("starts_at", "ends_at")
                if name in self.changed_data and cleaned.get(name)
            }
            try:
                services.check_not_past(moved, timezone.now())
            except ValidationFailed as exc:
                self.add_error(exc.details["field"], exc.message)
        metric = cleaned.get("metric")
        if metric:
            try:
                services.check_metric(metric)
            except ValidationFailed as exc:
                self.add_error("metric", exc.message)
        return cleaned


class TeamInline(admin.TabularInline):
    model = CompetitionTeam
    extra = 0


class ParticipantInline(admin.TabularInline):
    model = CompetitionParticipant
    extra = 0
    autocomplete_fields = ("player",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            # Only this competition's teams (the id is in the change page's URL).
            match = request.resolver_match
            object_id = match.kwargs.get("object_id") if match else None
            kwargs["queryset"] = CompetitionTeam.objects.filter(
                competition_id=object_id if object_id and object_id.isdigit() else None
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Competition)
class CompetitionAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    form = CompetitionForm
    list_display = ("title", "metric", "kind", "starts_at", "ends_at", "status")
    list_filter = (StatusFilter, "kind")
    search_fields = ("title", "metric")
    inlines = (TeamInline, ParticipantInline)
    readonly_fields = ("standings_table", "started_event_at", "ended_event_at")
    fields = (
        "title",
        "metric",
        "kind",
        "starts_at",
        "ends_at",
        "started_event_at",
        "ended_event_at",
        "standings_table",
    )

    @admin.display(description="status")
    def status(self, obj: Competition) -> str:
        return Competition.Status(obj.status_at()).label

    @admin.display(description="standings")
    def standings_table(self, obj: Competition) -> str:
        if obj.pk is None:
            return "-"
        result = standings.competition_standings(competition=obj, now=timezone.now())
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    row.rank if row.rank is not None else "-",
                    row.username,
                    row.team or "",
                    _number(row.start_value),
                    _number(row.current_value),
                    _number(row.gained),
                    "newly ranked"
                    if row.newly_ranked
                    else "late baseline"
                    if row.late_baseline
                    else "",
                )
                for row in result.rows
            ),
        )
        teams = ""
        if result.teams:
            teams = format_html(
                "<p>Teams: {}</p>",
                ", ".join(f"{t.rank}. {t.name} ({t.gained:,})" for t in result.teams),
            )
        return format_html(
            "{}<table><thead><tr><th>Rank</th><th>Player</th><th>Team</th><th>Start</th>"
            "<th>Current</th><th>Gained</th><th></th></tr></thead><tbody>{}</tbody></table>",
            teams,
            rows,
        )

    def save_related(self, request, form, formsets, change) -> None:
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            services.competition_schedule_sync(competition=form.instance)

    def delete_model(self, request, obj: Competition) -> None:
        services.competition_delete(competition=obj)

    def delete_queryset(self, request, queryset: QuerySet) -> None:
        services.competitions_delete(queryset=queryset)


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
