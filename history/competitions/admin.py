"""Competitions in the admin: participants and teams inline, the standings read-only, a status
filter. Deletes (one or a selection) remove the clocked tasks too (the model's delete owns it);
saves bring the tasks in line through the service."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from history.competitions import services, standings
from history.competitions.models import Competition, CompetitionParticipant, CompetitionTeam
from osrs_diff.admin_changelists import BoundedChangeListMixin
from osrs_diff.exceptions import Conflict, ValidationFailed
from players.names import normalise_username


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


def _usernames(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def _teams_text(text: str) -> list[services.TeamInput]:
    teams = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, members = line.partition(":")
        teams.append(services.TeamInput(name.strip(), _usernames(members)))
    return teams


def _keys(usernames: list[str] | str) -> set[str]:
    names = _usernames(usernames) if isinstance(usernames, str) else usernames
    return {normalise_username(name) for name in names}


def _team_keys(teams: list[services.TeamInput] | str) -> dict[str, set[str]]:
    parsed = _teams_text(teams) if isinstance(teams, str) else teams
    return {team.name.lower(): _keys(list(team.participants)) for team in parsed}


class CompetitionForm(forms.ModelForm):
    """The admin's form runs the same rules as the API (services.competition_create_check and
    competition_update_check in clean(): lock rules per status, limits, teams, no date moved
    into the past) and CompetitionAdmin saves through services.competition_create/update."""

    participants = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="Tracked usernames, one a line (or comma-separated). A team competition may "
        "leave this empty and name its participants through its teams.",
    )
    teams = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Team competitions only: one team a line, 'Team name: user one, user two'.",
    )

    class Meta:
        model = Competition
        fields = ("title", "metric", "kind", "starts_at", "ends_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk:
            for name in ("metric", "kind"):  # never change (delete and create another)
                self.fields[name].disabled = True
            members = instance.participations.select_related("player", "team").order_by(
                "player__username_key"
            )
            self.initial["participants"] = "\n".join(m.player.username for m in members)
            by_team: dict[str, list[str]] = {t.name: [] for t in instance.teams.order_by("pk")}
            for member in members:
                if member.team is not None:
                    by_team[member.team.name].append(member.player.username)
            self.initial["teams"] = "\n".join(
                f"{name}: {', '.join(names)}" for name, names in by_team.items()
            )
        self.service_fields: dict = {}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        participants = _usernames(cleaned.get("participants") or "")
        teams = _teams_text(cleaned.get("teams") or "")
        try:
            if self.instance.pk:
                fields = {
                    name: cleaned[name]
                    for name in ("title", "starts_at", "ends_at")
                    if name in self.changed_data
                }
                # Compared as names, not text: a browser sends the textarea back with \r\n.
                if _keys(participants) != _keys(self.initial.get("participants", "")) or (
                    _team_keys(teams) != _team_keys(self.initial.get("teams", ""))
                ):
                    fields["participants"] = participants
                    if teams or self.instance.kind == Competition.Kind.TEAM:
                        fields["teams"] = teams
                services.competition_update_check(
                    competition=self.instance, now=timezone.now(), **fields
                )
            else:
                fields = {
                    name: cleaned[name]
                    for name in ("title", "metric", "kind", "starts_at", "ends_at")
                }
                fields["participants"] = participants or None
                fields["teams"] = teams or None
                services.competition_create_check(**fields)
        except (ValidationFailed, Conflict) as exc:
            field = (exc.details or {}).get("field")
            self.add_error(field if field in self.fields else None, exc.message)
            return cleaned
        self.service_fields = fields
        return cleaned


class TeamInline(admin.TabularInline):
    """Shown, not edited: the form's `teams` field goes through the service's rules."""

    model = CompetitionTeam
    extra = 0
    fields = ("name",)
    readonly_fields = ("name",)
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ParticipantInline(admin.TabularInline):
    """Shown, not edited: the form's `participants` field goes through the service's rules."""

    model = CompetitionParticipant
    extra = 0
    fields = ("player", "team")
    readonly_fields = ("player", "team")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Competition)
class CompetitionAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    form = CompetitionForm
    list_display = ("title", "metric", "kind", "starts_at", "ends_at", "status")
    list_filter = (StatusFilter, "kind")
    search_fields = ("title", "metric")
    inlines = (TeamInline, ParticipantInline)
    readonly_fields = ("standings_table", "started_event_at", "ended_event_at")

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

    # The page's fields, given by get_fields: `participants` here is the form's text field (the
    # names go through the service), which a static `fields` would take for the model's
    # many-to-many with its own through model (admin.E013).
    page_fields = (
        "title",
        "metric",
        "kind",
        "starts_at",
        "ends_at",
        "participants",
        "teams",
        "started_event_at",
        "ended_event_at",
        "standings_table",
    )

    def get_fields(self, request, obj=None):
        return self.page_fields

    def save_model(self, request, obj: Competition, form, change) -> None:
        """Through the services, with the fields the form's clean() checked against them."""
        if change:
            saved = services.competition_update(competition=obj, **form.service_fields)
        else:
            saved = services.competition_create(**form.service_fields)
        obj.__dict__.update(saved.__dict__)
        obj._state = saved._state

    def save_related(self, request, form, formsets, change) -> None:
        """Nothing more: the service wrote the participants, teams and clocked tasks (the
        inlines only show them)."""
        for formset in formsets:  # what the change message reads from a saved formset
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj: Competition) -> None:
        services.competition_delete(competition=obj)

    def delete_queryset(self, request, queryset: QuerySet) -> None:
        services.competitions_delete(queryset=queryset)


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
