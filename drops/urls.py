"""URL routes of the drops app (wire-compatible paths of the old PartyTime server)."""

from drops import views
from drops.report import DROP_REPORT_ROUTE
from osrs_diff.routing import route

urlpatterns = [
    route("drops", views.DropReportView.as_view(), name=DROP_REPORT_ROUTE),
    route("parties", views.ActivePartyListView.as_view(), name="party-list-active"),
    route("parties/cleanup", views.PartyCleanupView.as_view(), name="party-cleanup"),
    route("parties/history", views.PartyHistoryView.as_view(), name="party-history"),
    route("parties/<int:party_id>", views.PartyDetailView.as_view(), name="party-detail"),
]
