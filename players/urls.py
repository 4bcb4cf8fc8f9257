"""URL routes of the players app (no prefix, optional trailing slash)."""

from osrs_diff.routing import route
from players import views

urlpatterns = [
    route("players/<username>", views.PlayerDetailView.as_view(), name="player-detail"),
    route("players/<username>/pause", views.PlayerPauseView.as_view(), name="player-pause"),
    route("players/<username>/resume", views.PlayerResumeView.as_view(), name="player-resume"),
    route(
        "players/<username>/update-game-mode",
        views.PlayerGameModeUpdateView.as_view(),
        name="player-update-game-mode",
    ),
    route(
        "players/<username>/schedule",
        views.PlayerScheduleView.as_view(),
        name="player-schedule",
    ),
    route("schedules", views.ScheduleListView.as_view(), name="schedule-list"),
    route(
        "system/trigger-game-mode-check",
        views.GameModeCheckTriggerView.as_view(),
        name="system-trigger-game-mode-check",
    ),
]
