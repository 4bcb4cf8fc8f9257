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
