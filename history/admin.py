"""The player page: the Player admin of hiscores, with the history read on its change page.

The Player admin (every action, the forms, the services it calls) lives in
`hiscores.admin.players`; the page's tables need history's gains, and hiscores never imports
history, so the history app registers the Player admin with the page added (`admin.autodiscover`
imports hiscores.admin first: INSTALLED_APPS order). Data: `history.overview.player_overview`,
the same selector as GET /players/{username}/overview.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from hiscores.admin.players import PlayerAdmin
from hiscores.baselines import snapshot_baseline_accept
from hiscores.integration.catalogue import get_metric
from hiscores.integration.shared import web_deadline
from history import overview
from history.models import Achievement, Record
from history.serializers import RangeQuerySerializer
from osrs_diff.exceptions import ServiceError
from players.models import Player

PERIODS = ("day", "week", "month", "year")
DEFAULT_PERIOD = "week"


def page_query(request: HttpRequest) -> dict[str, str]:
    """The page's period (day/week/month/year, or custom with start/end) and chart metric."""
    period = request.GET.get("period", DEFAULT_PERIOD)
    if period not in (*PERIODS, "custom"):
        period = DEFAULT_PERIOD
    return {
        "period": period,
        "start": request.GET.get("start", ""),
        "end": request.GET.get("end", ""),
        "metric": request.GET.get("metric", "overall"),
    }


def page_range(query: dict[str, str]) -> tuple[RangeQuerySerializer | None, str]:
    """The range the page shows, validated by the API's rule: (serializer, "") or (None, error)."""
    if query["period"] == "custom":
        if not (query["start"] and query["end"]):
            return None, "A custom period needs both a start and an end date."
        data = {"start": query["start"], "end": query["end"]}
    else:
        data = {"period": query["period"]}
    serializer = RangeQuerySerializer(data=data)
    if serializer.is_valid():
        return serializer, ""
    return None, "; ".join(
        f"{field}: {' '.join(str(message) for message in messages_)}"
        for field, messages_ in serializer.errors.items()
    )


def _ranked(rows: list[overview.OverviewRow]) -> list[overview.OverviewRow]:
    return [row for row in rows if row.value is not None]


class _ReadOnlyInline(admin.TabularInline):
    """Derived rows (history.services maintains them): shown, never edited here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AchievementInline(_ReadOnlyInline):
    model = Achievement
    fields = readonly_fields = [
        "name",
        "metric",
        "threshold",
        "achieved_at",
        "previous_snapshot_at",
    ]
    ordering = [F("achieved_at").desc(nulls_last=True), "key"]
    verbose_name_plural = "achievements (manage.py compute_achievements rebuilds them)"


class RecordInline(_ReadOnlyInline):
    model = Record
    fields = ["period", "metric", "gained", "period_start", "period_end"]
    readonly_fields = fields
    ordering = ["period", "-gained"]
    verbose_name_plural = "records (best gain per day, week, month)"


admin.site.unregister(Player)


@admin.register(Player)
class PlayerPageAdmin(PlayerAdmin):
    """The Player admin with the player page (tables, chart, fetches, flag) on its change page."""

    # The page shows the chart of any metric, what went down (with the accept button) and the
    # game-mode history itself.
    change_form_template = "admin/history/player_page.html"

    def get_inlines(self, request, obj=None):
        # The game-mode history is a table of the page; achievements and records are read-only
        # inlines, shown on GET only (a save posts no formset for them).
        if obj is None or request.method != "GET":
            return []
        return [AchievementInline, RecordInline]

    def get_urls(self):
        accept = self.admin_site.admin_view(self.accept_reading_view)
        return [
            path("<int:object_id>/accept-reading/", accept, name="players_player_accept_reading"),
            *super().get_urls(),
        ]

    def render_change_form(
        self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None and change and request.method == "GET":
            context.update(self.page_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def page_context(self, request: HttpRequest, player: Player) -> dict:
        query = page_query(request)
        serializer, error = page_range(query)
        if serializer is None:
            return {"page_query": query, "periods": PERIODS, "page_error": error}
        window = serializer.validated_data["range"]
        page = overview.player_overview(player=player, start=window.start, end=window.end)
        metric = get_metric(query["metric"]) or get_metric("overall")
        chart_query = urlencode(
            {"start": page.chart_start.isoformat(), "end": page.chart_end.isoformat()}
        )
        chart_url = reverse("player-history-chart", args=[player.username, metric.key])
        today = {"start": f"{window.start:%Y-%m-%d}", "end": f"{window.end:%Y-%m-%d}"}
        return {
            "player_page": page,
            # The custom-period form starts from the period shown.
            "custom_range": {k: query[k] or v for k, v in today.items()},
            "page_query": query,
            "periods": PERIODS,
            "chart_metric": metric,
            "chart_src": f"{chart_url}?{chart_query}",
            "can_accept": self.has_change_permission(request, player),
            # Bosses and activities list their ranked rows (an unranked one has nothing to say).
            "tables": [
                ("Bosses", "Boss", _ranked(page.bosses), "pp-bosses"),
                ("Activities", "Activity", _ranked(page.activities), "pp-activities"),
            ],
        }

    @staticmethod
    def _back(request: HttpRequest, object_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:players_player_change", args=[object_id]))

    def accept_reading_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """POST: the "Accept latest reading" action for this one player (hiscores.baselines)."""
        return require_POST(self._accept)(request, object_id)

    def _accept(self, request: HttpRequest, object_id: int) -> HttpResponse:
        player = get_object_or_404(Player, pk=object_id)
        if not self.has_change_permission(request, player):
            raise PermissionDenied
        try:
            with web_deadline():
                accepted = snapshot_baseline_accept(player=player)
        except ServiceError as exc:
            self.message_user(request, f"{player}: {exc.message}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"Accepted the reading of {player} at {accepted.fetched_at:%Y-%m-%d %H:%M} UTC "
                "as a baseline: gains count from it.",
                messages.SUCCESS,
            )
        return self._back(request, object_id)


# Competitions register their own admin (history.competitions.admin).
from history.competitions import admin as competitions_admin  # noqa: E402, F401
