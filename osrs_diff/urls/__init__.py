"""The root URL list (ROOT_URLCONF). API paths have no prefix and accept an optional trailing slash.

One module per URL space, included by dotted path:

- `osrs_diff.urls.players`: every `/players/...` route and `/schedules` (players, hiscores,
  history);
- `osrs_diff.urls.system`: `/system/...` and `/metrics` (operations, players);
- `osrs_diff.urls.groups`: `/groups/...` (players, hiscores, history);
- `history.urls`: `/history/...`; `drops.urls`: `/drops` and `/parties/...`;
- `osrs_diff.urls.competitions`: `/competitions/...` (history).
"""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from osrs_diff import front, views
from osrs_diff.api_tasks import TaskStatusView
from osrs_diff.redoc_bundle import redoc_bundle_view
from osrs_diff.routing import route

admin.autodiscover()  # SimpleAdminConfig: the admin is loaded where URLs are served

handler400 = "osrs_diff.exceptions.handler400"
handler403 = "osrs_diff.exceptions.handler403"
handler404 = "osrs_diff.exceptions.handler404"
handler500 = "osrs_diff.exceptions.handler500"

urlpatterns = [
    path("", front.FrontDoorView.as_view(), name="front-door"),
    route("api", front.ApiRootView.as_view(), name="api-root"),
    # System tasks moved to the operations app (admin label `system`): old links still work.
    re_path(
        r"^admin/osrs_diff/systemtask/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/system/systemtask/%(rest)s", permanent=True),
        name="admin-systemtask-moved",
    ),
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
    route("redoc/redoc.standalone.js", redoc_bundle_view, name="redoc-bundle"),
    route("auth/login", views.LoginView.as_view(), name="auth-login"),
    route("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    route("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    route("auth/me", views.MeView.as_view(), name="auth-me"),
    path("api-auth/", include("rest_framework.urls")),
    route("tasks/<task_id>", TaskStatusView.as_view(), name="task-status"),
    path("", include("osrs_diff.urls.system")),
    path("", include("osrs_diff.urls.players")),
    path("", include("osrs_diff.urls.groups")),
    path("", include("history.urls")),
    path("", include("drops.urls")),
    path("", include("osrs_diff.urls.competitions")),
    # Last: anything unmatched is a 404 in the API's error format (even with DEBUG on).
    re_path(r"^(?!static/).*$", views.UnknownRouteView.as_view(), name="unknown-route"),
]
