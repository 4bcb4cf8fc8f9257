"""Writes of groups. Each service owns its transaction; the database keeps names and
memberships unique (a concurrent duplicate is a 409, never a second row)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from osrs_diff.exceptions import Conflict, NotFound, ValidationFailed
from players.models import Group, GroupMembership, Player
from players.names import lookalike_words, name_key, shorten

NAME_MAX_LENGTH = Group._meta.get_field("name").max_length
KEY_MAX_LENGTH = Group._meta.get_field("name_key").max_length
ROLE_MAX_LENGTH = GroupMembership._meta.get_field("role").max_length


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationFailed(
            "A group needs a name.", details={"name": ["This may not be blank."]}
        )
    if len(cleaned) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            f"A group name has at most {NAME_MAX_LENGTH} characters.",
            details={"name": [f"At most {NAME_MAX_LENGTH} characters."]},
        )
    if "\x00" in cleaned:
        raise ValidationFailed("A group name cannot contain NUL.", details={"name": ["NUL."]})
    if len(name_key(cleaned)) > KEY_MAX_LENGTH:  # "ﷺ" alone reads as 18 characters (NFKC)
        raise ValidationFailed(
            "A group name reads too long once normalised.",
            details={"name": [f"At most {KEY_MAX_LENGTH} characters once normalised (NFKC)."]},
        )
    if mixed := lookalike_words(cleaned):
        # "Irоn Clan" with a Cyrillic "о" reads as "Iron Clan": lists would show two of them.
        words = ", ".join(repr(shorten(word)) for word in mixed[:3])
        message = f"A word mixes look-alike alphabets (Latin, Cyrillic, Greek...): {words}."
        raise ValidationFailed(message, details={"name": [message]})
    return cleaned


def group_name_check(*, name: str, exclude: int | None = None) -> str:
    """The name as stored (spaces collapsed) or the error a create or rename with it would raise:
    400 (blank, too long, look-alike alphabets mixed in a word) or 409 `group_exists`."""
    name = _clean_name(name)
    if conflict := _name_taken(name, exclude=exclude):
        raise conflict
    return name


def _name_taken(name: str, *, exclude: int | None = None) -> Conflict | None:
    """The group whose name reads the same (`name_key`: case, width, spacing), as a 409."""
    others = Group.objects.filter(name_key=name_key(name))
    if exclude is not None:
        others = others.exclude(pk=exclude)
    other = others.first()
    if other is None:
        return None
    return Conflict(
        f"A group named {other.name!r} already exists.",
        details={"name": name, "id": other.pk},
        error_code="group_exists",
    )


def group_create(*, name: str, description: str = "") -> Group:
    """A new group; its name is unique whatever the case, width or spacing (409 `group_exists`)."""
    name = group_name_check(name=name)
    try:
        with transaction.atomic():
            return Group.objects.create(name=name, name_key=name_key(name), description=description)
    except IntegrityError:
        if conflict := _name_taken(name):  # a concurrent create of the same name won
            raise conflict from None
        raise


def group_update(*, group: Group, name: str | None = None, description: str | None = None) -> Group:
    """Rename a group or change its description (only the fields given)."""
    fields = []
    if name is not None:
        group.name = group_name_check(name=name, exclude=group.pk)
        group.name_key = name_key(group.name)
        fields += ["name", "name_key"]
    if description is not None:
        group.description = description
        fields.append("description")
    if fields:
        try:
            with transaction.atomic():
                if (
                    Group.objects.filter(pk=group.pk).update(
                        **{field: getattr(group, field) for field in fields}
                    )
                    == 0
                ):
                    raise NotFound(f"No group {group.pk}.", error_code="group_not_found")
        except IntegrityError:
            if conflict := _name_taken(group.name, exclude=group.pk):
                raise conflict from None
            raise
    return group


def group_delete(*, group: Group) -> None:
    """Delete a group and its memberships; the players stay tracked."""
    with transaction.atomic():
        Group.objects.filter(pk=group.pk).delete()


def _clean_role(role: str) -> str:
    role = role.strip()
    if len(role) > ROLE_MAX_LENGTH or "\x00" in role:
        raise ValidationFailed(
            f"A role has at most {ROLE_MAX_LENGTH} characters.",
            details={"role": [f"At most {ROLE_MAX_LENGTH} characters."]},
        )
    return role


def group_members_add(*, group: Group, players: Sequence[Player], role: str = "") -> set[int]:
    """Add players to a group; returns the ids of those added (the rest were members already).

    The group row is locked for the insert, so two concurrent adds of the same player both answer
    truthfully (one "added", one "already a member"); the unique (group, player) constraint is the
    backstop. 404 when the group was deleted meanwhile.
    """
    role = _clean_role(role)
    ids = list(dict.fromkeys(player.pk for player in players))
    if not ids:
        return set()
    now = timezone.now()
    try:
        with transaction.atomic():
            if not Group.objects.select_for_update().filter(pk=group.pk).exists():
                raise NotFound(f"No group {group.pk}.", error_code="group_not_found")
            present = set(
                GroupMembership.objects.filter(group=group, player_id__in=ids).values_list(
                    "player_id", flat=True
                )
            )
            new = [pk for pk in ids if pk not in present]
            GroupMembership.objects.bulk_create(
                [GroupMembership(group=group, player_id=pk, role=role, joined_at=now) for pk in new]
            )
    except IntegrityError:
        # A player deleted meanwhile (its foreign key) or a duplicate despite the lock.
        raise Conflict(
            "The members changed while they were being added; try again.",
            error_code="conflict",
        ) from None
    return set(new)


def group_member_update(*, group: Group, player: Player, role: str) -> GroupMembership:
    """Change a member's role; 404 when the player is not a member."""
    role = _clean_role(role)
    with transaction.atomic():
        membership = (
            GroupMembership.objects.select_for_update().filter(group=group, player=player).first()
        )
        if membership is None:
            raise NotFound(
                f"{player.username!r} is not a member of {group.name!r}.",
                error_code="not_a_member",
            )
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def group_member_remove(*, group: Group, player: Player) -> None:
    """Remove a player from a group (the player stays tracked); 404 when not a member."""
    with transaction.atomic():
        deleted, _ = GroupMembership.objects.filter(group=group, player=player).delete()
    if not deleted:
        raise NotFound(
            f"{player.username!r} is not a member of {group.name!r}.", error_code="not_a_member"
        )
