"""The `/history/...` URL space (history app). Per-player history lives under `/players/...`:
see `osrs_diff/urls/players.py`."""

from history import views
from osrs_diff.routing import route

urlpatterns = [
    route("history/leaderboard", views.LeaderboardView.as_view(), name="history-leaderboard"),
]
