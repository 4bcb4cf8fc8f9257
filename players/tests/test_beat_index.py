"""Beat's change scan (`date_changed >= since`) is served by an index, not a full table scan."""

from django.db import connection
from django_celery_beat.models import PeriodicTask


def test_periodictask_date_changed_has_an_index(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, PeriodicTask._meta.db_table)
    indexed = [c for c in constraints.values() if c["index"] and c["columns"] == ["date_changed"]]
    assert indexed, "no index on django_celery_beat_periodictask.date_changed"


def test_the_change_scan_uses_it(db):
    # With sequential scans off, PostgreSQL picks the index if one can answer the range.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM django_celery_beat_periodictask WHERE date_changed >= now()"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "players_periodictask_date_changed_idx" in plan, plan
