"""The snapshot admin is titled with the player's name, not its id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hiscores.models import Snapshot
from hiscores.services import snapshot_record
from tests.factories import PlayerFactory, reading

pytestmark = pytest.mark.django_db


def test_snapshot_title_uses_the_player_name(admin_client):
    player = PlayerFactory(username="Zezima")
    snapshot_record(player_id=player.pk, reading=reading({"attack": 1_000}))
    snapshot = Snapshot.objects.get(player=player)
    title = f"Zezima @ {snapshot.fetched_at:%Y-%m-%d %H:%M}"

    page = admin_client.get(reverse("admin:hiscores_snapshot_change", args=[snapshot.pk]))
    listing = admin_client.get(reverse("admin:hiscores_snapshot_changelist"))

    html = page.content.decode()
    assert page.status_code == 200
    assert title in html
    assert f"{player.pk} @ " not in html
    assert "Zezima" in listing.content.decode()


@pytest.fixture
def snapshot():
    player = PlayerFactory(username="Lynx Titan")
    snapshot_record(
        player_id=player.pk,
        reading=reading({"attack": 13_034_431, "zulrah": 1_234, "bounty_hunter_hunter": None}),
    )
    Snapshot.objects.filter(player=player).update(
        extra={"new_raid": {"name": "New Raid", "kind": "boss", "rank": 12_345, "score": 6_789}}
    )
    return Snapshot.objects.get(player=player)


def test_snapshot_page_is_grouped_tables_with_separators_and_a_link_back(admin_client, snapshot):
    page = admin_client.get(reverse("admin:hiscores_snapshot_change", args=[snapshot.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    # Not one form row per column (~330): a few facts, then the tables.
    assert html.count('class="form-row') <= 5, html.count('class="form-row')
    assert "field-attack_experience" not in html and "field-zulrah_score" not in html
    for table in ("snapshot-skills", "snapshot-activities", "snapshot-bosses", "snapshot-extra"):
        assert f'<table id="{table}">' in html
    skills = html[html.index('id="snapshot-skills"') : html.index('id="snapshot-activities"')]
    assert '<th class="num">Rank</th>' in skills and "Level" in skills and "Experience" in skills
    assert "13,034,431" in skills and "Attack" in skills
    bosses = html[html.index('id="snapshot-bosses"') : html.index('id="snapshot-extra"')]
    assert 'id="snapshot-bosses-more"' in bosses  # the longest list, in two columns
    assert "1,234" in bosses and "Score" in bosses and "Zulrah" in bosses
    extra = html[html.index('id="snapshot-extra"') :]
    assert "New Raid" in extra and "6,789" in extra and "12,345" in extra
    # No form to save: read-only.
    assert 'name="_save"' not in html and "<input" not in skills
    player_url = reverse("admin:players_player_change", args=[snapshot.player_id])
    assert f'href="{player_url}"' in html
    assert f"Lynx Titan @ {snapshot.fetched_at:%Y-%m-%d %H:%M}" in html


def test_snapshot_list_reads_only_the_columns_it_shows(
    admin_client, snapshot, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(8):
        listing = admin_client.get(reverse("admin:hiscores_snapshot_changelist"))

    assert listing.status_code == 200
    assert "Lynx Titan" in listing.content.decode()
    assert str(snapshot.overall_experience) in listing.content.decode().replace(",", "")
    rows = [
        q["sql"] for q in queries.captured_queries if '"hiscores_snapshot"."fetched_at"' in q["sql"]
    ]
    assert rows and not any("zulrah_score" in sql for sql in rows), rows
