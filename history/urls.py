"""The `/history/...` URL space (history app). Per-player history lives under `/players/...`:
see `osrs_diff/urls/players.py`."""

from history import achievement_views, views
from osrs_diff.routing import route

urlpatterns = [
    route("history/leaderboard", views.LeaderboardView.as_view(), name="history-leaderboard"),
    route(
        "achievements/recent",
        achievement_views.RecentAchievementsView.as_view(),
        name="achievements-recent",
    ),
]
