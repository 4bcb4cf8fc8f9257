"""Repair datetimes stored out of range (issue 15), then forbid them for snapshots.

Before the shared datetime rule, a backfill line dated `0001-01-01T00:30:00+01:00` was stored as
year 1 BC, and from then on every read of that player failed (the driver cannot load the value).
This migration finds such rows without loading them: snapshots outside [2001-01-01, 9999-01-01)
are deleted (no real reading is older than the hiscores), a player's `last_fetched`,
`last_changed` or `flagged_at` outside that range is cleared, and one in the future (the old
backfill moved `last_fetched` to 2999 "for good") is set to now. It prints what it repaired.
"""

from datetime import UTC, datetime

from django.db import migrations, models
from django.utils import timezone

EARLIEST = datetime(2001, 1, 1, tzinfo=UTC)
BEFORE = datetime(9999, 1, 1, tzinfo=UTC)
PLAYER_COLUMNS = ("last_fetched", "last_changed", "flagged_at")


def repair_out_of_range_datetimes(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    snapshot_table = quote(apps.get_model("hiscores", "Snapshot")._meta.db_table)
    player_table = quote(apps.get_model("players", "Player")._meta.db_table)
    earliest, before, now = adapt(EARLIEST), adapt(BEFORE), adapt(timezone.now())
    repaired = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {snapshot_table} WHERE fetched_at < %s OR fetched_at >= %s",
            [earliest, before],
        )
        if cursor.rowcount:
            repaired.append(f"{cursor.rowcount} snapshots deleted")
        for column in PLAYER_COLUMNS:
            name = quote(column)
            cursor.execute(
                f"UPDATE {player_table} SET {name} = NULL WHERE {name} < %s OR {name} >= %s",
                [earliest, before],
            )
            if cursor.rowcount:
                repaired.append(f"{cursor.rowcount} players' {column} cleared")
            cursor.execute(
                f"UPDATE {player_table} SET {name} = %s WHERE {name} > %s", [now, now]
            )
            if cursor.rowcount:
                repaired.append(f"{cursor.rowcount} players' {column} brought back to now")
    if repaired:
        print(f"\n  out-of-range datetimes repaired: {', '.join(repaired)}")


class Migration(migrations.Migration):
    dependencies = [
        ("hiscores", "0002_fetch_outcome_count"),
        ("players", "0005_scheduled_fetch_claim"),
    ]

    operations = [
        migrations.RunPython(repair_out_of_range_datetimes, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="snapshot",
            constraint=models.CheckConstraint(
                condition=models.Q(fetched_at__gte=EARLIEST, fetched_at__lt=BEFORE),
                name="snapshot_fetched_at_in_range",
            ),
        ),
    ]
