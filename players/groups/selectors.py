"""Reads of groups: lists with member counts, one group, its members, names resolved."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, QuerySet

from osrs_diff.exceptions import NotFound
from players.models import Group, GroupMembership, NameChange, Player
from players.names import normalise_username, shorten

# A path id past the bigint column would make PostgreSQL raise (a 500): no group has one.
MAX_ID = 2**63 - 1


def group_list() -> QuerySet[Group]:
    """Groups by name, each with `member_count` (one query)."""
    return Group.objects.annotate(member_count=Count("memberships")).order_by("name", "pk")


def group_get(*, group_id: int | str) -> Group:
    """The group with this id (with `member_count`), or 404 `group_not_found`.

    The routes pass any path segment ("-1", "1.5", "abc"): only ASCII digits name a group (not
    "1_0", " 7" or "٣", which `int()` would read).
    """
    if isinstance(group_id, int):
        pk = group_id
    elif isinstance(group_id, str) and group_id.isascii() and group_id.isdigit():
        pk = int(group_id)
    else:
        pk = -1
    group = group_list().filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if group is None:
        raise NotFound(f"No group {shorten(str(group_id))}.", error_code="group_not_found")
    return group


def group_memberships(*, group: Group) -> QuerySet[GroupMembership]:
    """The group's memberships with their players, by player name (one query)."""
    return (
        GroupMembership.objects.filter(group=group)
        .select_related("player")
        .order_by("player__username_key", "pk")
    )


def group_member_ids(*, group_id: int) -> QuerySet[GroupMembership]:
    """The player ids of a group's members, as a subquery (`player_id__in=...`)."""
    return GroupMembership.objects.filter(group_id=group_id).values("player_id")


def players_by_names(*, names: Iterable[str]) -> dict[str, Player]:
    """The tracked player each name means, keyed by normalised name; unknown names are absent.

    Resolved like `players.selectors.player_get`: a current name first, else the player that most
    recently gave the name up (with `former_name` set). Two queries whatever the number of names.
    """
    keys = {key for key in (normalise_username(name) for name in names) if key}
    found = {p.username_key: p for p in Player.objects.filter(username_key__in=keys)}
    rest = keys - found.keys()
    if rest:
        changes = (
            NameChange.objects.filter(old_username_key__in=rest)
            .select_related("player")
            .order_by("-changed_at", "-pk")
        )
        for change in changes:
            if change.old_username_key not in found:
                player = change.player
                player.former_name = change.old_username
                found[change.old_username_key] = player
    return found
