"""PostgreSQL: `drops_report_drop()` also writes the party's events into the outbox.

The same function as migration 0003 (CREATE OR REPLACE, same signature and results) plus two
INSERTs into the transactional outbox (`osrs_diff.models.OutboxEvent`'s table): `party.started`
when it opens a party and `party.ended` when it ends a stale one. They run in the report's own
statement, so `POST /drops` keeps its single round trip and an event exists exactly when the
report committed. The data keys match drops.services (`party_started_data`,
`EndedParty.event_data`), which the portable (SQLite) path writes through `osrs_diff.events`.
Delivery is kicked by drops.services after a report that opened a party (and swept every 10 s).
"""

import importlib

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
    v_created_at timestamptz;
    v_biggest_id bigint;
BEGIN
    FOR attempt IN 1..5 LOOP
        o_party_id := NULL;
        SELECT p.id, p.last_drop_at, p.total_drops, p.total_value, p.created_at,
               p.biggest_drop_id
          INTO o_party_id, v_last_drop_at, o_total_drops, o_total_value, v_created_at,
               v_biggest_id
          FROM drops_party p
         WHERE p.world = p_world AND p.ended_at IS NULL
           FOR UPDATE;
        IF o_party_id IS NOT NULL AND v_last_drop_at <= p_now - p_idle THEN
            -- A stale party ends when it went idle, and is never revived.
            UPDATE drops_party SET ended_at = last_drop_at + p_idle WHERE id = o_party_id;
            INSERT INTO osrs_diff_outboxevent (name, occurred_at, data, delivery_id)
            VALUES ('party.ended', v_last_drop_at + p_idle, jsonb_build_object(
                'party_id', o_party_id,
                'world', p_world,
                'started_at', v_created_at,
                'ended_at', v_last_drop_at + p_idle,
                'duration_seconds', EXTRACT(EPOCH FROM v_last_drop_at - v_created_at)::float8,
                'drops', o_total_drops,
                'total_value', o_total_value,
                'biggest_value', COALESCE(
                    (SELECT b.value FROM drops_drop b WHERE b.id = v_biggest_id), 0)
            ), gen_random_uuid());
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
            INSERT INTO osrs_diff_outboxevent (name, occurred_at, data, delivery_id)
            VALUES ('party.started', p_now, jsonb_build_object(
                'party_id', o_party_id, 'world', p_world, 'started_at', p_now
            ), gen_random_uuid());
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


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def restore_previous(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = importlib.import_module("drops.migrations.0003_report_drop_function")
        schema_editor.execute(previous.CREATE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("drops", "0004_party_verbose_name_plural"),
        ("osrs_diff", "0004_outbox_event"),
    ]

    operations = [migrations.RunPython(create_function, restore_previous)]
