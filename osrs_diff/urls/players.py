"""The `/players/...` and `/schedules` URL space, served by three apps, in one ordered list.

Order matters in one place only: `players/stats` (several players' stats) comes before
`players/<username>`, which would otherwise take "stats" for a username. Every other pattern has
its own number of path segments or literal parts.
"""

from hiscores import rename_views
from hiscores import views as hiscores_views
from history import achievement_views
from history import views as history_views
from osrs_diff.routing import route
from players import name_views
from players import views as players_views

urlpatterns = [
    # Collections (players, hiscores).
    route("players", hiscores_views.PlayerListCreateView.as_view(), name="player-list"),
    route("players/stats", hiscores_views.MultiPlayerStatsView.as_view(), name="players-stats"),
    route("schedules", players_views.ScheduleListView.as_view(), name="schedule-list"),
    # One player (players): after `players/stats`.
    route("players/<username>", players_views.PlayerDetailView.as_view(), name="player-detail"),
    route("players/<username>/pause", players_views.PlayerPauseView.as_view(), name="player-pause"),
    route(
        "players/<username>/resume", players_views.PlayerResumeView.as_view(), name="player-resume"
    ),
    route(
        "players/<username>/update-game-mode",
        players_views.PlayerGameModeUpdateView.as_view(),
        name="player-update-game-mode",
    ),
    route(
        "players/<username>/schedule",
        players_views.PlayerScheduleView.as_view(),
        name="player-schedule",
    ),
    # Name changes (hiscores verifies the rename; players keeps the history).
    route(
        "players/<username>/rename", rename_views.PlayerRenameView.as_view(), name="player-rename"
    ),
    route("players/<username>/names", name_views.PlayerNameListView.as_view(), name="player-names"),
    # Snapshots (hiscores).
    route(
        "players/<username>/fetch", hiscores_views.PlayerFetchView.as_view(), name="player-fetch"
    ),
    route(
        "players/<username>/accept-reading",
        hiscores_views.PlayerAcceptReadingView.as_view(),
        name="player-accept-reading",
    ),
    route(
        "players/<username>/stats", hiscores_views.PlayerStatsView.as_view(), name="player-stats"
    ),
    route(
        "players/<username>/snapshots",
        hiscores_views.PlayerSnapshotListView.as_view(),
        name="player-snapshots",
    ),
    # History (history).
    route(
        "players/<username>/history",
        history_views.PlayerHistoryView.as_view(),
        name="player-history",
    ),
    route(
        "players/<username>/overview",
        history_views.PlayerOverviewView.as_view(),
        name="player-overview",
    ),
    route(
        "players/<username>/history/skills/<metric>",
        history_views.PlayerSkillHistoryView.as_view(),
        name="player-history-skill",
    ),
    route(
        "players/<username>/history/bosses/<metric>",
        history_views.PlayerBossHistoryView.as_view(),
        name="player-history-boss",
    ),
    route(
        "players/<username>/history/activities/<metric>",
        history_views.PlayerActivityHistoryView.as_view(),
        name="player-history-activity",
    ),
    route(
        "players/<username>/history/<metric>/chart.svg",
        history_views.PlayerMetricChartView.as_view(),
        name="player-history-chart",
    ),
    # Achievements and records (history).
    route(
        "players/<username>/achievements",
        achievement_views.PlayerAchievementsView.as_view(),
        name="player-achievements",
    ),
    route(
        "players/<username>/records",
        achievement_views.PlayerRecordsView.as_view(),
        name="player-records",
    ),
]
