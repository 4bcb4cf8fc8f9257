"""Derived history: a player's achievements and records, maintained as snapshots are stored."""

from django.db import models


class Achievement(models.Model):
    """One achievement of one player (history.achievements defines them; `key` names one).

    `achieved_at` is the first snapshot showing it, `previous_snapshot_at` the one before it (the
    real moment lies in between); both null when the moment is unknown (first snapshot, a newly
    ranked metric, a baseline).
    """

    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="achievements"
    )
    key = models.CharField(max_length=80)
    name = models.CharField(max_length=120)
    metric = models.CharField(max_length=64)
    measure = models.CharField(max_length=16)
    threshold = models.BigIntegerField()
    achieved_at = models.DateTimeField(null=True, blank=True)
    previous_snapshot_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["player", "key"]
        constraints = [
            models.UniqueConstraint(fields=["player", "key"], name="achievement_unique_player_key")
        ]
        indexes = [
            # GET /achievements/recent: dated ones, newest first.
            models.Index(
                fields=["-achieved_at"],
                condition=models.Q(achieved_at__isnull=False),
                name="achievement_recent_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.player_id} {self.name}"


class Record(models.Model):
    """A player's best gain in one metric over one kind of period (UTC day, ISO week, month)."""

    class Period(models.TextChoices):
        DAY = "day"
        WEEK = "week"
        MONTH = "month"

    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="records")
    metric = models.CharField(max_length=64)
    period = models.CharField(max_length=8, choices=Period.choices)
    gained = models.BigIntegerField()
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()

    class Meta:
        ordering = ["player", "period", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["player", "metric", "period"], name="record_unique_player_metric_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.player_id} {self.metric} {self.period}: {self.gained}"


# Competitions live in their own package; Django finds models through this module.
from history.competitions.models import (  # noqa: E402
    Competition,
    CompetitionParticipant,
    CompetitionTeam,
)

__all__ = ["Achievement", "Competition", "CompetitionParticipant", "CompetitionTeam", "Record"]
