"""The party and drop admin pages as rendered: plural, read-only page, gold separators."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import party_with_drops

pytestmark = pytest.mark.django_db


@pytest.fixture
def party():
    return party_with_drops(
        (1319, "Rune 2h sword", 1, 1_234_567), (536, "Dragon bones", 100, 2_000)
    )


def test_the_plural_is_parties(admin_client):
    index = admin_client.get("/admin/").content.decode()
    changelist = admin_client.get(reverse("admin:drops_party_changelist")).content.decode()

    assert "Parties" in index and "Partys" not in index
    assert "Select party to change" in changelist or "Select party to view" in changelist
    assert "Partys" not in changelist


def test_read_only_party_page_has_no_save_buttons(admin_client, party):
    html = admin_client.get(reverse("admin:drops_party_change", args=[party.pk])).content.decode()

    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert 'name="_addanother"' not in html
    assert "1,236,567 gp" in html  # total value


def test_gold_values_have_thousands_separators(admin_client, party):
    parties = admin_client.get(reverse("admin:drops_party_changelist")).content.decode()
    drops = admin_client.get(reverse("admin:drops_drop_changelist")).content.decode()
    page = admin_client.get(reverse("admin:drops_party_change", args=[party.pk])).content.decode()

    assert "618,283 gp" in parties  # average drop
    assert "1,234,567 gp" in drops and "2,000 gp" in drops
    assert "Rune 2h sword x1 (1,234,567 gp)" in page  # the biggest drop
    assert "1234567" not in drops.replace('data-value="1234567"', "")


def test_party_page_is_titled_by_the_party_and_counts_drops_in_words(admin_client, party):
    lone = party_with_drops((1319, "Rune 2h sword", 1, 1_234_567), world=331)
    page = admin_client.get(reverse("admin:drops_party_change", args=[party.pk])).content.decode()
    parties = admin_client.get(reverse("admin:drops_party_changelist")).content.decode()

    assert f"<h1>Party {party.pk} on world {party.world}" in page
    assert "Change party" not in page
    assert ">2 drops</a>" in parties and ">1 drop</a>" in parties and "1 drops" not in parties
    assert lone.total_drops == 1
