"""Stored hiscores readings (snapshots).

Layout: one wide row per reading, a nullable column per catalogue value (`attack_experience`,
`zulrah_score`, ...). Measured for this product, a wide row took half the bytes of a JSONB row and
made leaderboards 2.5x faster. Metrics the catalogue does not know yet (a boss Jagex added today)
are kept in the `extra` JSON column until a migration gives them columns, so nothing is dropped.
NULL means unranked (or absent from the reading).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models

from hiscores.integration.catalogue import METRICS, MetricKind

# Stored readings stay where Python and every driver can read them back (a year-1 BC row made
# every read of its player fail); the shared rule of osrs_diff.datetimes keeps new ones after
# 2001-01-01 and at most a day ahead.
FETCHED_AT_EARLIEST = datetime(2001, 1, 1, tzinfo=UTC)
FETCHED_AT_BEFORE = datetime(9999, 1, 1, tzinfo=UTC)


class Snapshot(models.Model):
    """One hiscores reading of a player, stored only when something progressed."""

    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="snapshots")
    fetched_at = models.DateTimeField(help_text="When the reading was taken.")
    board = models.CharField(max_length=48, help_text="The hiscores board it came from.")
    # Metrics the catalogue does not know yet: {key: {"name", "kind", "rank", "level"|"score", ...}}
    extra = models.JSONField(default=dict, blank=True)
    # An operator accepted this reading although values went down (a rollback, a name taken over):
    # gains, leaderboards and charts restart here and never count the jump into it.
    # db_default: the fetch's plain-SQL insert (hiscores/rows.py) does not name the column.
    is_baseline = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-fetched_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["player", "fetched_at"], name="snapshot_unique_player_fetched_at"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    fetched_at__gte=FETCHED_AT_EARLIEST, fetched_at__lt=FETCHED_AT_BEFORE
                ),
                name="snapshot_fetched_at_in_range",
            ),
        ]
        indexes = [
            # "The latest baseline in (start, end]" per player, for history and leaderboards:
            # baselines are rare, so a partial index keeps that probe tiny.
            models.Index(
                fields=["player", "fetched_at"],
                condition=models.Q(is_baseline=True),
                name="snapshot_baseline_idx",
            )
        ]
        # "Latest snapshot at or before T for player P" is one probe of the unique index
        # (player_id, fetched_at), scanned backwards; no other index is needed for it.

    def __str__(self) -> str:
        # The admin titles snapshots with this; its list selects the player with the rows.
        return f"{self.player.username} @ {self.fetched_at:%Y-%m-%d %H:%M}"


def _value_fields(kind: MetricKind) -> tuple[tuple[str, models.Field], ...]:
    rank = ("rank", models.IntegerField(null=True, blank=True))
    if kind is MetricKind.SKILL:
        return (
            rank,
            ("level", models.SmallIntegerField(null=True, blank=True)),
            ("experience", models.BigIntegerField(null=True, blank=True)),
        )
    return (rank, ("score", models.BigIntegerField(null=True, blank=True)))


# One column per catalogue value, named `<metric key>_<part>` (overall_rank, overall_level,
# overall_experience, attack_experience, zulrah_score, ...).
for _metric in METRICS:
    for _part, _field in _value_fields(_metric.kind):
        Snapshot.add_to_class(f"{_metric.key}_{_part}", _field)


class RejectedReading(models.Model):
    """The latest reading of a flagged player, kept so an operator can accept it as a baseline.

    Written when a reading is rejected (values went down) and removed when the flag clears, so
    accepting it needs no hiscores call. Values are stored as the snapshot row's columns.
    """

    player = models.OneToOneField(
        "players.Player", on_delete=models.CASCADE, related_name="rejected_reading"
    )
    fetched_at = models.DateTimeField()
    board = models.CharField(max_length=48)
    columns = models.JSONField(default=dict)
    extra = models.JSONField(default=dict, blank=True)
    # What went down: [{"metric", "field", "before", "after"}, ...] (hiscores.layout.decreases).
    falls = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.player_id} rejected @ {self.fetched_at:%Y-%m-%d %H:%M}"


class FetchOutcomeCount(models.Model):
    """How many scheduled fetches ended in each outcome, per hour (for stats and /metrics).

    One atomic upsert per fetch. Hours older than the retention are folded into the row at
    `ROLLUP_HOUR` (the Unix epoch), so the sum over all rows of an outcome only ever grows: it is
    the Prometheus counter, and the recent hours answer "fetch outcomes over the last 24 h".
    """

    hour = models.DateTimeField(help_text="Start of the UTC hour (the epoch: everything older).")
    outcome = models.CharField(max_length=16)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "outcome"], name="fetch_outcome_hour_unique")
        ]

    def __str__(self) -> str:
        return f"{self.outcome} @ {self.hour:%Y-%m-%d %H:00}: {self.count}"


class FetchLogEntry(models.Model):
    """One fetch of one player and its outcome; the last FETCH_LOG_KEPT per player are kept.

    The player page shows them ("last fetches"). Bounded per player by the write that adds one
    (hiscores.fetch_log), so the table never grows past players x FETCH_LOG_KEPT rows.
    """

    player = models.ForeignKey("players.Player", on_delete=models.CASCADE, related_name="fetch_log")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=16)
    detail = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        # The player page reads a player's newest entries; the prune deletes below its 20th.
        indexes = [models.Index(fields=["player", "-id"], name="fetch_log_player_id")]

    def __str__(self) -> str:
        return f"{self.player_id} {self.outcome} @ {self.at:%Y-%m-%d %H:%M}"
