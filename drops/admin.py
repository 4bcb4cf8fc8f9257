"""Admin for drop parties and drops; totals are maintained by the services (read-only)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from drops import services
from drops.models import Drop, Party
from osrs_diff.admin_changelists import BoundedChangeListMixin


def gp(value: int | Decimal) -> str:
    """Gold with thousands separators: 1234567 -> "1,234,567 gp"."""
    return f"{int(value):,} gp"


class PartyStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            ("open", "Open"),
            ("idle", "Idle (waiting for the sweeper)"),
            ("ended", "Ended"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Party]) -> QuerySet[Party]:
        cutoff = timezone.now() - timedelta(seconds=settings.DROP_PARTY_IDLE_SECONDS)
        if self.value() == "open":
            return queryset.filter(ended_at=None, last_drop_at__gt=cutoff)
        if self.value() == "idle":
            return queryset.filter(ended_at=None, last_drop_at__lte=cutoff)
        if self.value() == "ended":
            return queryset.filter(~Q(ended_at=None))
        return queryset


@admin.register(Party)
class PartyAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "world",
        "created_at",
        "last_drop_at",
        "ended_at",
        "total_drops",
        "avg_drop",
        "drops_link",
    )
    list_filter = (PartyStatusFilter, "world", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=id", "=world")
    date_hierarchy = "created_at"
    ordering = ("-last_drop_at",)
    list_select_related = ("biggest_drop",)
    readonly_fields = (
        "world",
        "created_at",
        "last_drop_at",
        "ended_at",
        "total_drops",
        "total_value_gp",
        "avg_drop",
        "biggest_drop",
        "drops_link",
    )
    fields = readonly_fields
    actions = ("end_parties",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # parties are opened by reported drops only

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        # Every field is read-only (the totals belong to the services): no SAVE buttons.
        extra_context = {**(extra_context or {}), "show_save": False}
        extra_context.update(show_save_and_continue=False, show_save_and_add_another=False)
        party = self.get_object(request, object_id)
        if party is not None:  # a page to read, not "Change party"
            extra_context.setdefault("title", str(party))
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="total value")
    def total_value_gp(self, party: Party) -> str:
        return gp(party.total_value)

    @admin.display(description="average drop")
    def avg_drop(self, party: Party) -> str:
        return gp(party.avg_drop)

    @admin.display(description="drops")
    def drops_link(self, party: Party) -> str:
        url = reverse("admin:drops_drop_changelist") + f"?party__id__exact={party.pk}"
        count = party.total_drops
        return format_html(
            '<a href="{}">{} {}</a>', url, f"{count:,}", "drop" if count == 1 else "drops"
        )

    @admin.action(description="End the selected parties now", permissions=["change"])
    def end_parties(self, request: HttpRequest, queryset: QuerySet[Party]) -> None:
        ended = 0
        for party_id in queryset.filter(ended_at=None).values_list("pk", flat=True):
            if services.party_end(party_id=party_id) is not None:
                ended += 1
        self.message_user(request, f"Ended {ended} part{'y' if ended == 1 else 'ies'}.")
        if not ended:
            self.message_user(request, "None of them was open.", level=messages.WARNING)


@admin.register(Drop)
class DropAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "party",
        "world",
        "item_name",
        "item_id",
        "quantity",
        "value_gp",
        "received_at",
    )
    list_filter = ("party__world", ("received_at", admin.DateFieldListFilter))
    search_fields = ("item_name", "=item_id", "=party__id")
    date_hierarchy = "received_at"
    ordering = ("-received_at",)
    list_select_related = ("party",)
    raw_id_fields = ("party",)
    show_full_result_count = False

    # Drops feed the party totals: they are a record, never edited or removed one by one.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Drop | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Drop | None = None) -> bool:
        return False

    @admin.display(description="value", ordering="value")
    def value_gp(self, drop: Drop) -> str:
        return gp(drop.value)

    @admin.display(description="world", ordering="party__world")
    def world(self, drop: Drop) -> int:
        return drop.party.world
