"""URL routes of the snapshot endpoints (included before players.urls: `players/stats` first)."""

from hiscores import views
from osrs_diff.routing import route

urlpatterns = [
    route("players/stats", views.MultiPlayerStatsView.as_view(), name="players-stats"),
    route("players/<username>/fetch", views.PlayerFetchView.as_view(), name="player-fetch"),
    route(
        "players/<username>/accept-reading",
        views.PlayerAcceptReadingView.as_view(),
        name="player-accept-reading",
    ),
    route("players/<username>/stats", views.PlayerStatsView.as_view(), name="player-stats"),
    route(
        "players/<username>/snapshots",
        views.PlayerSnapshotListView.as_view(),
        name="player-snapshots",
    ),
]
