"""The `/groups/...` URL space, served by three apps: CRUD and member removal (players), adding
members and fetching (hiscores: they may track and fetch), gains and stats (history).

`group_id` takes any path segment, not only digits: "/groups/-1" or "/groups/abc" answer the
groups API's own 404 `group_not_found` (`players.groups.selectors.group_get` reads the id)
rather than the generic "no such route"."""

from hiscores import group_views as hiscores_group_views
from history import group_views as history_group_views
from osrs_diff.routing import route
from players.groups import views as players_group_views

urlpatterns = [
    route("groups", players_group_views.GroupListCreateView.as_view(), name="group-list"),
    route(
        "groups/<group_id>",
        players_group_views.GroupDetailView.as_view(),
        name="group-detail",
    ),
    route(
        "groups/<group_id>/members",
        hiscores_group_views.GroupMembersAddView.as_view(),
        name="group-members",
    ),
    route(
        "groups/<group_id>/members/<username>",
        players_group_views.GroupMemberView.as_view(),
        name="group-member",
    ),
    route(
        "groups/<group_id>/fetch",
        hiscores_group_views.GroupFetchView.as_view(),
        name="group-fetch",
    ),
    route(
        "groups/<group_id>/gains",
        history_group_views.GroupGainsView.as_view(),
        name="group-gains",
    ),
    route(
        "groups/<group_id>/stats",
        history_group_views.GroupStatsView.as_view(),
        name="group-stats",
    ),
]
