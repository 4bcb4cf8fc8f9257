"""The operations URL space: `/system/...`, `/webhooks` and `/metrics` (staff and scrapers only).

Served by the operations app and, for the game-mode check trigger, by the players app.
"""

from osrs_diff.routing import route
from osrs_diff.system import views as system_views
from osrs_diff.system.metrics import MetricsView
from players import views as players_views

urlpatterns = [
    route("metrics", MetricsView.as_view(), name="metrics"),
    route("system/tasks", system_views.SystemTaskListView.as_view(), name="system-task-list"),
    route(
        "system/tasks/<name>/run",
        system_views.SystemTaskRunView.as_view(),
        name="system-task-run",
    ),
    route("system/stats", system_views.SystemStatsView.as_view(), name="system-stats"),
    route(
        "system/trigger-game-mode-check",
        players_views.GameModeCheckTriggerView.as_view(),
        name="system-trigger-game-mode-check",
    ),
    route("webhooks", system_views.WebhookListView.as_view(), name="webhook-list"),
    route(
        "webhooks/<int:webhook_id>",
        system_views.WebhookDetailView.as_view(),
        name="webhook-detail",
    ),
]
