"""The `/competitions` URL space (history app, docs/competitions.md)."""

from history.competitions import views
from osrs_diff.routing import route

urlpatterns = [
    route("competitions", views.CompetitionListView.as_view(), name="competition-list"),
    route(
        "competitions/<int:competition_id>",
        views.CompetitionDetailView.as_view(),
        name="competition-detail",
    ),
    route(
        "competitions/<int:competition_id>/chart.svg",
        views.CompetitionChartView.as_view(),
        name="competition-chart",
    ),
]
