"""Read-only admin for snapshots: stored readings are history, never edited by hand.

The change page shows a snapshot as grouped tables (skills: rank, level, experience; activities
and bosses: rank, score; metrics the catalogue does not know yet, kept in `extra`) with thousands
separators, titled with the player's name and linking back to the player page. The list loads
only the columns it shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from hiscores import layout
from hiscores.integration.catalogue import MetricKind, get_metric
from hiscores.models import Snapshot
from osrs_diff.admin_changelists import BoundedChangeListMixin

LIST_COLUMNS = ("id", "player__id", "player__username", "fetched_at", "board")
LIST_COLUMNS += ("overall_level", "overall_experience")


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One metric of the snapshot page, formatted ("—": unranked)."""

    key: str
    name: str
    rank: str
    value: str
    level: str = ""
    kind: str = ""


def _number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


@dataclass(frozen=True, slots=True)
class SnapshotTable:
    title: str
    id: str
    kind: str  # skill, activity, boss or extra: which columns the table has
    rows: list[SnapshotRow]


def snapshot_tables(snapshot: Snapshot) -> list[SnapshotTable]:
    """One table per group: skills, activities, bosses, then metrics kept in `extra`."""
    extra = snapshot.extra or {}
    groups: dict[str, list[SnapshotRow]] = {"skill": [], "activity": [], "boss": [], "extra": []}
    for key, metric in layout.row_metrics(snapshot.__dict__, extra).items():
        known = get_metric(key)
        name = known.name if known else str(extra.get(key, {}).get("name") or key)
        row = SnapshotRow(
            key=key,
            name=name,
            rank=_number(metric.rank),
            value=_number(metric.value),
            level=_number(metric.level) if metric.kind is MetricKind.SKILL else "",
            kind=str(metric.kind),
        )
        groups["extra" if key in extra else str(metric.kind)].append(row)
    return [
        SnapshotTable("Skills", "snapshot-skills", "skill", groups["skill"]),
        SnapshotTable("Activities", "snapshot-activities", "activity", groups["activity"]),
        SnapshotTable("Bosses", "snapshot-bosses", "boss", groups["boss"]),
        SnapshotTable("Unknown metrics (extra)", "snapshot-extra", "extra", groups["extra"]),
    ]


def snapshot_columns(tables: list[SnapshotTable]) -> list[list[SnapshotTable]]:
    """The page's columns, so it stays short on a normal screen: skills and activities, then the
    bosses (the longest list) split in two, then the `extra` metrics."""
    skills, activities, bosses, extra = tables
    half = (len(bosses.rows) + 1) // 2
    columns = [
        [skills, activities],
        [SnapshotTable(bosses.title, bosses.id, "boss", bosses.rows[:half])],
        [SnapshotTable("Bosses (continued)", "snapshot-bosses-more", "boss", bosses.rows[half:])],
        [extra],
    ]
    return [[t for t in column if t.rows] for column in columns if any(t.rows for t in column)]


@admin.register(Snapshot)
class SnapshotAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    list_display = ("player", "fetched_at", "board", "overall_level", "overall_experience")
    list_filter = ("board", ("fetched_at", admin.DateFieldListFilter))
    list_select_related = ("player",)
    search_fields = ("player__username_key", "player__username")
    date_hierarchy = "fetched_at"
    ordering = ("-fetched_at",)
    show_full_result_count = False  # counting millions of rows on every page view is slow
    change_form_template = "admin/hiscores/snapshot/change_form.html"
    # The change page: a few facts; the metrics are the tables of the template.
    fields = ("player_link", "fetched_at", "board", "is_baseline")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request).select_related("player")
        match = request.resolver_match
        if match is not None and match.url_name == "hiscores_snapshot_changelist":
            # ~330 metric columns per row are not read by the list.
            queryset = queryset.only(*LIST_COLUMNS)
        return queryset

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # The Player page links to "all snapshots of this player".
        return lookup == "player__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="Player")
    def player_link(self, snapshot: Snapshot) -> str:
        url = reverse("admin:players_player_change", args=[snapshot.player_id])
        return format_html('<a href="{}">{}</a>', url, snapshot.player.username)

    def render_change_form(
        self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None:
            context.update(
                snapshot_columns=snapshot_columns(snapshot_tables(obj)),
                player_url=reverse("admin:players_player_change", args=[obj.player_id]),
                player_name=obj.player.username,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
