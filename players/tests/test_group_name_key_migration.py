"""players 0010: groups stored before the name key migrate, even two names that read the same."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("players", "0009_groups")]


def _apps_at(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_groups_get_their_key_and_look_alikes_stored_before_keep_their_names():
    head = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _apps_at(BEFORE)
    OldGroup = old.get_model("players", "Group")
    iron = OldGroup.objects.create(name="Iron Clan")
    wide = OldGroup.objects.create(name="Ｉron Clan")  # accepted before the key
    other = OldGroup.objects.create(name="Other  Clan")

    new = _apps_at(head)
    Group = new.get_model("players", "Group")
    keys = dict(Group.objects.values_list("pk", "name_key"))
    assert keys[iron.pk] == "iron clan"
    assert keys[other.pk] == "other clan"
    assert keys[wide.pk] != "iron clan" and keys[wide.pk].startswith("iron clan")
    assert Group.objects.get(pk=wide.pk).name == "Ｉron Clan"
    with pytest.raises(IntegrityError), transaction.atomic():  # the key is unique from now on
        Group.objects.create(name="Another", name_key="iron clan")
