"""Index django-celery-beat's `date_changed`: beat's change scan reads only rows changed since its
last look, and without an index that scan reads the whole table (136 ms a tick at 100k tasks).

django-celery-beat owns the table, so the index is raw SQL here (players owns the per-player
PeriodicTasks that make the table large). On PostgreSQL it is built CONCURRENTLY: the table is
written by the API and read by beat while the migration runs.
"""

from django.db import migrations

INDEX = "players_periodictask_date_changed_idx"
TABLE = "django_celery_beat_periodictask"


def create_index(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {INDEX} ON {TABLE} (date_changed)"
    )


def drop_index(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("players", "0005_scheduled_fetch_claim"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
