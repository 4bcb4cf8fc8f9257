"""Factories for drop parties (totals kept consistent with the drops they describe)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from drops.models import Drop, Party


class PartyFactory(factory.django.DjangoModelFactory):
    """An ended party by default (open parties come from drop_report in most tests)."""

    class Meta:
        model = Party

    world = factory.Sequence(lambda n: 300 + n % 200)
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    last_drop_at = factory.LazyAttribute(lambda p: p.created_at + timedelta(minutes=10))
    ended_at = factory.LazyAttribute(lambda p: p.last_drop_at + timedelta(minutes=5))
    total_drops = 0
    total_value = 0


class DropFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Drop

    party = factory.SubFactory(PartyFactory)
    item_id = 1319
    item_name = "Rune 2h sword"
    quantity = 1
    value = 38_052
    received_at = factory.LazyAttribute(lambda d: d.party.last_drop_at)


def party_with_drops(*drops: tuple[int, str, int, int], **party_fields) -> Party:
    """An ended party holding `(item_id, item_name, quantity, value)` drops, totals included."""
    party = PartyFactory(**party_fields)
    created = [
        DropFactory(
            party=party,
            item_id=item_id,
            item_name=name,
            quantity=quantity,
            value=value,
            received_at=party.created_at + timedelta(seconds=i),
        )
        for i, (item_id, name, quantity, value) in enumerate(drops)
    ]
    if created:
        party.total_drops = len(created)
        party.total_value = sum(d.value for d in created)
        party.biggest_drop = max(created, key=lambda d: (d.value, -d.pk))
        party.save()
    return party
