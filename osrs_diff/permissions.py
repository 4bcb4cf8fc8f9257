"""Who may do what through the API (issue 15).

* Reads (GET/HEAD/OPTIONS) need an authenticated user.
* Writes need a staff user, or the Django model permission the view names for the method in
  `write_permissions` (e.g. `{"POST": "players.add_player"}`), so an operator can be a
  non-superuser in a group. A write the view names no permission for is staff only.
* Anything else: 401 `not_authenticated` (no credentials) or 403 `permission_denied`.

Public read mode (`PUBLIC_READ=true`, issue 17): anonymous users may also GET the routes named in
`PUBLIC_READ_ROUTES` (players, stats, overview, history, leaderboards, charts, groups with their
gains and stats, competitions with their standings and chart; the party routes through
`drops.views.DropsPermission`), throttled per client address by
`osrs_diff.throttling.PublicReadThrottle`. Writes, /auth/me, task status, schedules, /system and
/metrics never become public.

`ReadAuthenticatedWriteByPermission` is REST_FRAMEWORK's default permission class; views only
declare `write_permissions`. Views that need something else (drops, /system, /metrics, auth) set
their own `permission_classes`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from osrs_diff.exceptions import NotFound

ADD_PLAYER = "players.add_player"
CHANGE_PLAYER = "players.change_player"
DELETE_PLAYER = "players.delete_player"


# URL names (the permission matrix's keys) an anonymous user may GET when PUBLIC_READ is on. One
# list, here, rather than a flag on each view: what becomes public is reviewed in one place.
PUBLIC_READ_ROUTES = frozenset(
    {
        "player-list",
        "player-detail",
        "players-stats",
        "player-stats",
        "player-snapshots",
        "player-overview",
        "player-history",
        "player-history-skill",
        "player-history-boss",
        "player-history-activity",
        "player-history-chart",
        "history-leaderboard",
        "group-list",
        "group-detail",
        "group-gains",
        "group-stats",
        "competition-list",
        "competition-detail",
        "competition-chart",
    }
)


def _authenticated(request: Request) -> bool:
    return bool(request.user and request.user.is_authenticated)


def public_read_on() -> bool:
    """PUBLIC_READ: anonymous users may read players, history and parties."""
    return bool(getattr(settings, "PUBLIC_READ", False))


def public_read_allowed(request: Request, *, route: str | None = None) -> bool:
    """An anonymous read PUBLIC_READ lets through: a safe method on a public route.

    `route` None: the caller (a party view) is public as a whole.
    """
    if request.method not in SAFE_METHODS or not public_read_on():
        return False
    return route is None or route in PUBLIC_READ_ROUTES


class ReadAuthenticatedWriteByPermission(BasePermission):
    """Reads: any authenticated user. Writes: staff, or the view's model permission."""

    message = "You do not have permission to perform this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not _authenticated(request):
            return _public_route_read(request)
        if request.method in SAFE_METHODS:
            return True
        if request.user.is_staff:
            return True
        permission = (getattr(view, "write_permissions", None) or {}).get(request.method)
        return bool(permission) and request.user.has_perm(permission)


def _public_route_read(request: Request) -> bool:
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match is not None else None
    return name is not None and public_read_allowed(request, route=name)


class TaskOwnerOrStaff(BasePermission):
    """`GET /tasks/{task_id}`: the user who started the task, or staff; 404 for anyone else.

    404 rather than 403, so other users cannot tell which task ids exist.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        from osrs_diff.models import ApiTask  # models load after the app registry

        if not _authenticated(request):
            return False
        if request.user.is_staff:
            return True
        task_id = view.kwargs.get("task_id")
        if not ApiTask.objects.filter(task_id=task_id, created_by=request.user).exists():
            raise NotFound(f"No task {task_id!r} was started through the API.")
        return True
