"""SystemTask moved to the operations app (`system` 0001): drop it from this app's state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("osrs_diff", "0002_system_task"),
        ("system", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SystemTask")],
            database_operations=[],
        ),
    ]
