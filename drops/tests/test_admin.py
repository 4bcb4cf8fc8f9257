"""Admin for parties and drops: filters, search, the end-party action, read-only drops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from drops import services
from drops.models import Drop, Party
from tests.factories import party_with_drops

pytestmark = pytest.mark.django_db

PARTIES = reverse("admin:drops_party_changelist")
DROPS = reverse("admin:drops_drop_changelist")


def report(world: int, item_id: int = 1):
    return services.drop_report(
        world=world, item_id=item_id, item_name="Dragon bones", quantity=3, value=6000
    )


@pytest.fixture
def parties(settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    open_party = Party.objects.get(pk=report(301).party_id)
    long_ago = timezone.now() - timedelta(minutes=30)
    idle = Party.objects.create(world=302, created_at=long_ago, last_drop_at=long_ago)
    ended = party_with_drops((1319, "Rune 2h sword", 1, 38052), world=303)
    return {"open": open_party, "idle": idle, "ended": ended}


def listed(response) -> set[int]:
    return {party.pk for party in response.context["cl"].result_list}


def test_the_status_filter_separates_open_idle_and_ended(admin_client, parties):
    for status in ("open", "idle", "ended"):
        response = admin_client.get(PARTIES, {"status": status})
        assert response.status_code == 200
        assert listed(response) == {parties[status].pk}, status


def test_parties_filter_by_world_and_date_and_search(admin_client, parties):
    assert listed(admin_client.get(PARTIES, {"world": 302})) == {parties["idle"].pk}
    assert listed(admin_client.get(PARTIES, {"q": "303"})) == {parties["ended"].pk}
    assert admin_client.get(PARTIES, {"q": "not a number"}).status_code == 200
    this_year = admin_client.get(PARTIES, {"created_at__year": timezone.now().year})
    assert listed(this_year) == {p.pk for p in parties.values()}
    past_week = admin_client.get(
        PARTIES, {"created_at__gte": (timezone.now() - timedelta(days=7)).isoformat()}
    )
    assert listed(past_week) == {p.pk for p in parties.values()}


def test_the_end_action_ends_open_parties_through_the_service(admin_client, parties):
    response = admin_client.post(
        PARTIES,
        {
            "action": "end_parties",
            "_selected_action": [parties["open"].pk, parties["ended"].pk],
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "Ended 1 party." in response.content.decode()
    parties["open"].refresh_from_db()
    assert parties["open"].ended_at is not None
    assert report(301, item_id=2).status == "party_created"


def test_party_pages_render_read_only(admin_client, parties):
    response = admin_client.get(reverse("admin:drops_party_change", args=[parties["ended"].pk]))

    assert response.status_code == 200
    assert admin_client.get(reverse("admin:drops_party_add")).status_code == 403


def test_drops_are_listed_filtered_and_never_edited(admin_client, parties):
    response = admin_client.get(DROPS, {"party__world": 303})
    assert response.status_code == 200
    assert {d.item_name for d in response.context["cl"].result_list} == {"Rune 2h sword"}
    assert admin_client.get(DROPS, {"q": "dragon"}).status_code == 200

    drop = Drop.objects.first()
    page = admin_client.get(reverse("admin:drops_drop_change", args=[drop.pk]))
    assert page.status_code == 200
    assert b'name="item_name"' not in page.content  # shown, not editable
    assert admin_client.get(reverse("admin:drops_drop_add")).status_code == 403
    assert admin_client.get(reverse("admin:drops_drop_delete", args=[drop.pk])).status_code == 403
