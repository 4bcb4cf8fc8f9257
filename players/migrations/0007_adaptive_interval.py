from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("players", "0006_periodictask_date_changed_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="player",
            name="effective_interval_minutes",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="player",
            name="unchanged_fetches",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
    ]
