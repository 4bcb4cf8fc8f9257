"""The SystemTask proxy moves here from the `osrs_diff` app: state only (a proxy has no table).

Its content type (and with it the permissions and admin log entries that point at it) is moved
to the `system` label, so ids and group/user permissions are kept.
"""

from django.db import migrations

MODEL = "systemtask"


def _move(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    source = ContentType.objects.filter(app_label=old, model=MODEL).first()
    if source is None:
        return
    if ContentType.objects.filter(app_label=new, model=MODEL).exists():
        source.delete()  # already created under the new label (its permissions with it)
        return
    source.app_label = new
    source.save(update_fields=["app_label"])


def forwards(apps, schema_editor) -> None:
    _move(apps, "osrs_diff", "system")


def backwards(apps, schema_editor) -> None:
    _move(apps, "system", "osrs_diff")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("osrs_diff", "0002_system_task"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SystemTask",
                    fields=[],
                    options={
                        "verbose_name": "system task",
                        "verbose_name_plural": "system tasks",
                        "proxy": True,
                        "indexes": [],
                        "constraints": [],
                    },
                    bases=("django_celery_beat.periodictask",),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
