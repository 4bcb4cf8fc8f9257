"""PostgreSQL: `drops_report_drop()`, the whole drop report in one statement (one round trip).

The web request path pays per round trip (BEGIN, lock, duplicate check, insert, COMMIT), so on
PostgreSQL drops.services.drop_report calls this function instead: called outside any transaction
it runs as one implicit transaction. It does exactly what `_report_portable` in drops/services.py
does (the same tests run against both): lock the world's open party (`FOR UPDATE`), end it when
idle, open one with `INSERT ... ON CONFLICT DO NOTHING` (the loser of that race locks the winner's
row), skip a duplicate, insert the drop and move the party's totals. Other databases (SQLite in
embedded mode) skip this migration.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION drops_report_drop(
    p_world integer, p_item_id integer, p_item_name varchar, p_quantity integer,
    p_value bigint, p_now timestamptz, p_window interval, p_idle interval,
    OUT o_status text, OUT o_party_id bigint, OUT o_total_drops bigint,
    OUT o_total_value numeric, OUT o_duplicate_at timestamptz
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_last_drop_at timestamptz;
    v_drop_id bigint;
BEGIN
    FOR attempt IN 1..5 LOOP
        o_party_id := NULL;
        SELECT p.id, p.last_drop_at, p.total_drops, p.total_value
          INTO o_party_id, v_last_drop_at, o_total_drops, o_total_value
          FROM drops_party p
         WHERE p.world = p_world AND p.ended_at IS NULL
           FOR UPDATE;
        IF o_party_id IS NOT NULL AND v_last_drop_at <= p_now - p_idle THEN
            -- A stale party ends when it went idle, and is never revived.
            UPDATE drops_party SET ended_at = last_drop_at + p_idle WHERE id = o_party_id;
            o_party_id := NULL;
        END IF;

        IF o_party_id IS NULL THEN
            INSERT INTO drops_party (world, created_at, last_drop_at, ended_at, total_drops,
                                     total_value)
            VALUES (p_world, p_now, p_now, NULL, 0, 0)
            ON CONFLICT (world) WHERE ended_at IS NULL DO NOTHING
            RETURNING id INTO o_party_id;
            IF o_party_id IS NULL THEN
                -- Another transaction opened this world's party and committed: lock that one.
                CONTINUE;
            END IF;
            o_status := 'party_created';
        ELSE
            SELECT d.received_at INTO o_duplicate_at
              FROM drops_drop d
             WHERE d.party_id = o_party_id AND d.item_id = p_item_id
               AND d.quantity = p_quantity AND d.received_at > p_now - p_window
             ORDER BY d.received_at DESC
             LIMIT 1;
            IF o_duplicate_at IS NOT NULL THEN
                o_status := 'ignored';
                RETURN;
            END IF;
            o_status := 'drop_added';
        END IF;

        INSERT INTO drops_drop (party_id, item_id, item_name, quantity, value, received_at)
        VALUES (o_party_id, p_item_id, p_item_name, p_quantity, p_value, p_now)
        RETURNING id INTO v_drop_id;
        UPDATE drops_party p
           SET total_drops = p.total_drops + 1,
               total_value = p.total_value + p_value,
               last_drop_at = GREATEST(p.last_drop_at, p_now),
               biggest_drop_id = CASE
                   WHEN p.biggest_drop_id IS NULL
                     OR p_value > (SELECT b.value FROM drops_drop b WHERE b.id = p.biggest_drop_id)
                   THEN v_drop_id ELSE p.biggest_drop_id END
         WHERE p.id = o_party_id
        RETURNING p.total_drops, p.total_value INTO o_total_drops, o_total_value;
        RETURN;
    END LOOP;
    RAISE EXCEPTION 'drops: could not open or lock a party on world %', p_world;
END
$fn$;
"""

DROP = """
DROP FUNCTION IF EXISTS drops_report_drop(integer, integer, varchar, integer, bigint,
                                          timestamptz, interval, interval);
"""


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("drops", "0002_idle_party_sweeper")]

    operations = [migrations.RunPython(create_function, drop_function)]
