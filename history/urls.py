"""URL routes of the history app (no prefix, optional trailing slash)."""

from history import views
from osrs_diff.routing import route

urlpatterns = [
    route("history/leaderboard", views.LeaderboardView.as_view(), name="history-leaderboard"),
    route("players/<username>/history", views.PlayerHistoryView.as_view(), name="player-history"),
    route(
        "players/<username>/history/skills/<metric>",
        views.PlayerSkillHistoryView.as_view(),
        name="player-history-skill",
    ),
    route(
        "players/<username>/history/bosses/<metric>",
        views.PlayerBossHistoryView.as_view(),
        name="player-history-boss",
    ),
    route(
        "players/<username>/history/activities/<metric>",
        views.PlayerActivityHistoryView.as_view(),
        name="player-history-activity",
    ),
    route(
        "players/<username>/history/<metric>/chart.svg",
        views.PlayerMetricChartView.as_view(),
        name="player-history-chart",
    ),
]
