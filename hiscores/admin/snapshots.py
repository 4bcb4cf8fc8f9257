"""Read-only admin for snapshots: stored readings are history, never edited by hand."""

from django.contrib import admin

from hiscores.models import Snapshot
from osrs_diff.admin_changelists import BoundedChangeListMixin


@admin.register(Snapshot)
class SnapshotAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    list_display = ("player", "fetched_at", "board", "overall_level", "overall_experience")
    list_filter = ("board", ("fetched_at", admin.DateFieldListFilter))
    list_select_related = ("player",)
    search_fields = ("player__username_key", "player__username")
    date_hierarchy = "fetched_at"
    ordering = ("-fetched_at",)
    show_full_result_count = False  # counting millions of rows on every page view is slow

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # The Player page links to "all snapshots of this player".
        return lookup == "player__id__exact" or super().lookup_allowed(lookup, value, request)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
