"""Top-level routes. API paths have no prefix and accept an optional trailing slash."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from osrs_diff import front, views
from osrs_diff.api_tasks import TaskStatusView
from osrs_diff.metrics import MetricsView
from osrs_diff.routing import route
from osrs_diff.system import views as system_views

admin.autodiscover()  # SimpleAdminConfig: the admin is loaded where URLs are served

handler400 = "osrs_diff.exceptions.handler400"
handler403 = "osrs_diff.exceptions.handler403"
handler404 = "osrs_diff.exceptions.handler404"
handler500 = "osrs_diff.exceptions.handler500"

urlpatterns = [
    path("", front.FrontDoorView.as_view(), name="front-door"),
    route("api", front.ApiRootView.as_view(), name="api-root"),
    path("admin/", admin.site.urls),
    route("health", views.HealthView.as_view(), name="health"),
    route("health/ready", views.ReadinessView.as_view(), name="health-ready"),
    route("schema", SpectacularAPIView.as_view(), name="schema"),
    route("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    route(
        "redoc",
        SpectacularRedocView.as_view(url_name="schema", template_name="osrs_diff/redoc.html"),
        name="redoc",
    ),
    route("auth/login", views.LoginView.as_view(), name="auth-login"),
    route("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    route("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    route("auth/me", views.MeView.as_view(), name="auth-me"),
    path("api-auth/", include("rest_framework.urls")),
    route("tasks/<task_id>", TaskStatusView.as_view(), name="task-status"),
    route("metrics", MetricsView.as_view(), name="metrics"),
    route("system/tasks", system_views.SystemTaskListView.as_view(), name="system-task-list"),
    route(
        "system/tasks/<name>/run",
        system_views.SystemTaskRunView.as_view(),
        name="system-task-run",
    ),
    route("system/stats", system_views.SystemStatsView.as_view(), name="system-stats"),
    # hiscores first: its `players/stats` must win over players' `players/<username>`.
    path("", include("hiscores.urls")),
    path("", include("players.urls")),
    path("", include("history.urls")),
    path("", include("drops.urls")),
    # Last: anything unmatched is a 404 in the API's error format (even with DEBUG on).
    re_path(r"^(?!static/).*$", views.UnknownRouteView.as_view(), name="unknown-route"),
]
