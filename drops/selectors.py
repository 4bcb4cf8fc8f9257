"""Reads over drop parties: the active list, one party with its drops, and ended parties."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from drops.models import Drop, Party
from osrs_diff.exceptions import NotFound


def _idle_timeout() -> timedelta:
    return timedelta(seconds=settings.DROP_PARTY_IDLE_SECONDS)


def _unique_items() -> Coalesce:
    counts = (
        Drop.objects.filter(party=OuterRef("pk"))
        .order_by()
        .values("party")
        .annotate(n=Count("item_id", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def _with_totals(queryset: QuerySet[Party]) -> QuerySet[Party]:
    """Annotate what the party views show: effective end, unique items, the biggest drop."""
    # A party idle past the timeout has ended even if the sweeper has not marked it yet.
    return queryset.select_related("biggest_drop").annotate(
        effective_ended_at=Coalesce(
            "ended_at",
            ExpressionWrapper(F("last_drop_at") + _idle_timeout(), output_field=DateTimeField()),
        ),
        unique_items=_unique_items(),
    )


def party_list_active(*, now: datetime | None = None) -> QuerySet[Party]:
    """Open parties with a drop within the idle timeout, newest activity first."""
    now = now or timezone.now()
    return (
        Party.objects.filter(ended_at=None, last_drop_at__gt=now - _idle_timeout())
        .order_by("-last_drop_at", "-id")
        .only("id", "world", "created_at", "last_drop_at", "total_drops", "total_value")
    )


def party_get(*, party_id: int) -> Party:
    """One party with its totals; NotFound when it does not exist."""
    party = _with_totals(Party.objects.filter(pk=party_id)).first()
    if party is None:
        raise NotFound(f"Party {party_id} does not exist.")
    return party


def party_drops(*, party_id: int) -> QuerySet[Drop]:
    """The accepted drops of one party in arrival order."""
    return Drop.objects.filter(party_id=party_id).order_by("received_at", "id")


def party_list_history(
    *, world: int | None = None, since: datetime | None = None, now: datetime | None = None
) -> QuerySet[Party]:
    """Ended parties (including ones idle past the timeout), most recently ended first.

    `since` keeps the parties that were still going at or after that moment.
    """
    now = now or timezone.now()
    queryset = Party.objects.filter(
        Q(ended_at__isnull=False) | Q(last_drop_at__lte=now - _idle_timeout())
    )
    if world is not None:
        queryset = queryset.filter(world=world)
    queryset = _with_totals(queryset)
    if since is not None:
        queryset = queryset.filter(effective_ended_at__gte=since)
    return queryset.order_by("-effective_ended_at", "-id")


def drop_counts(*, now: datetime) -> dict[str, int]:
    """Open parties now and drops received in the last hour (for the operations stats)."""
    hour_ago = now - timedelta(hours=1)
    # Through the parties active in the last hour: the (party, received_at) index answers it.
    recent_parties = Party.objects.filter(last_drop_at__gte=hour_ago).values("id")
    return {
        "open_parties": party_list_active(now=now).count(),
        "drops_last_hour": Drop.objects.filter(
            party__in=recent_parties, received_at__gte=hour_ago
        ).count(),
    }
