"""Drop parties: one open party per world, and every accepted drop reported on it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

MAX_WORLD = 9999
MAX_INT32 = 2_147_483_647
MAX_INT64 = 2**63 - 1


class Party(models.Model):
    """A drop party on one world; open while `ended_at` is null."""

    world = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    last_drop_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # Maintained in the same UPDATE that inserts each drop; the average is always derived from
    # these two, never stored. Values reach 2**63-1 each, so the sum needs more than 64 bits.
    total_drops = models.BigIntegerField(default=0)
    total_value = models.DecimalField(max_digits=38, decimal_places=0, default=0)
    biggest_drop = models.ForeignKey(
        "Drop", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "parties"
        constraints = [
            # The race-free guarantee: concurrent first reports for a world cannot both open one.
            models.UniqueConstraint(
                fields=["world"], condition=Q(ended_at=None), name="drops_party_one_open_per_world"
            ),
            models.CheckConstraint(
                condition=Q(world__gte=1, world__lte=MAX_WORLD), name="drops_party_world_range"
            ),
            models.CheckConstraint(
                condition=Q(total_drops__gte=0), name="drops_party_total_drops_nonnegative"
            ),
        ]
        indexes = [
            # Active listing and the idle sweeper only look at open parties.
            models.Index(
                fields=["last_drop_at"],
                condition=Q(ended_at=None),
                name="drops_party_open_last_drop",
            ),
            # History per world, newest first.
            models.Index(fields=["world", "-created_at"], name="drops_party_world_created"),
        ]

    def __str__(self) -> str:
        state = "open" if self.ended_at is None else "ended"
        return f"Party {self.pk} on world {self.world} ({state})"

    @property
    def avg_drop(self) -> int:
        """Integer mean of the accepted drop values."""
        return int(self.total_value) // self.total_drops if self.total_drops else 0


class Drop(models.Model):
    """One accepted item drop (duplicates reported by other clients are never stored)."""

    # The (party, item, quantity, received_at) index below starts with party_id: no separate one.
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="drops", db_index=False)
    item_id = models.PositiveIntegerField()
    item_name = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    value = models.BigIntegerField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_INT32),
                name="drops_drop_quantity_range",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="drops_drop_value_nonnegative"),
        ]
        indexes = [
            # Duplicate detection: the same content on the party within the last half second.
            models.Index(
                fields=["party", "item_id", "quantity", "received_at"], name="drops_drop_dedup"
            ),
            # A party's drops in arrival order (paginated detail view).
            models.Index(fields=["party", "received_at", "id"], name="drops_drop_party_received"),
        ]

    def __str__(self) -> str:
        return f"{self.item_name} x{self.quantity:,} ({self.value:,} gp)"
