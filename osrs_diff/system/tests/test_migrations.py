"""A database migrated by the code before the operations app existed migrates forward cleanly."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Every app's leaf migration before issue 14 (the SystemTask proxy still in `osrs_diff`).
BEFORE = [
    ("osrs_diff", "0002_system_task"),
    ("players", "0005_scheduled_fetch_claim"),
    ("hiscores", "0002_fetch_outcome_count"),
    ("drops", "0003_report_drop_function"),
    ("system", None),
    ("history", None),  # no migrations before issue 18
]


def _migrate(targets):
    """Migrate to `targets`; the apps registry of the state there."""
    MigrationExecutor(connection).migrate(targets)
    loader = MigrationExecutor(connection).loader
    named = {app for app, _ in targets}
    others = [leaf for leaf in loader.graph.leaf_nodes() if leaf[0] not in named]
    nodes = [target for target in targets if target[1] is not None] + others
    return loader.project_state(nodes).apps


def _head() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_database_from_before_the_operations_app_migrates_forward_with_its_data():
    head = _head()
    old = _migrate(BEFORE)
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    Group = old.get_model("auth", "Group")
    PeriodicTask = old.get_model("django_celery_beat", "PeriodicTask")
    ApiTask = old.get_model("osrs_diff", "ApiTask")
    Player = old.get_model("players", "Player")

    # What post_migrate gave yesterday's database: the proxy's content type and permissions.
    ContentType.objects.filter(app_label="system").delete()
    proxy_type, _ = ContentType.objects.get_or_create(app_label="osrs_diff", model="systemtask")
    view, _ = Permission.objects.get_or_create(
        content_type=proxy_type, codename="view_systemtask", defaults={"name": "Can view"}
    )
    operators = Group.objects.create(name="operators")
    operators.permissions.add(view)
    every_minute = old.get_model("django_celery_beat", "IntervalSchedule").objects.create(
        every=1, period="minutes"
    )
    PeriodicTask.objects.get_or_create(
        name="system: end idle drop parties",
        defaults={"task": "drops.end_idle_parties", "interval": every_minute},
    )
    system_names = set(
        PeriodicTask.objects.filter(name__startswith="system:").values_list("name", flat=True)
    )
    ApiTask.objects.create(task_id="before-14", name="hiscores.fetch_player")
    Player.objects.create(username="Zezima", username_key="zezima")

    new = _migrate(head)

    ContentType = new.get_model("contenttypes", "ContentType")
    moved = ContentType.objects.get(pk=proxy_type.pk)
    assert (moved.app_label, moved.model) == ("system", "systemtask")
    assert not ContentType.objects.filter(app_label="osrs_diff", model="systemtask").exists()
    Group = new.get_model("auth", "Group")
    codenames = Group.objects.get(name="operators").permissions.values_list("codename", flat=True)
    assert list(codenames) == ["view_systemtask"]
    assert new.get_model("system", "SystemTask")._meta.proxy
    PeriodicTask = new.get_model("django_celery_beat", "PeriodicTask")
    assert (
        set(PeriodicTask.objects.filter(name__startswith="system:").values_list("name", flat=True))
        == system_names
        | {"system: deliver webhook events"}  # added by system 0003
        | {"system: competition fetches"}  # added by history 0003
    )
    assert new.get_model("osrs_diff", "ApiTask").objects.filter(task_id="before-14").exists()
    assert new.get_model("players", "Player").objects.filter(username_key="zezima").exists()
