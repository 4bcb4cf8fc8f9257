"""The operations URL space: `/system/...` and `/metrics` (staff and scrapers only)."""

from osrs_diff.routing import route
from osrs_diff.system import views
from osrs_diff.system.metrics import MetricsView

urlpatterns = [
    route("metrics", MetricsView.as_view(), name="metrics"),
    route("system/tasks", views.SystemTaskListView.as_view(), name="system-task-list"),
    route("system/tasks/<name>/run", views.SystemTaskRunView.as_view(), name="system-task-run"),
    route("system/stats", views.SystemStatsView.as_view(), name="system-stats"),
]
