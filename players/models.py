"""Tracked players and the history of their game-mode changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from players.game_modes import GameMode
from players.names import name_key

MIN_FETCH_INTERVAL_MINUTES = 5
MAX_FETCH_INTERVAL_MINUTES = 10_080  # one week
DEFAULT_FETCH_INTERVAL_MINUTES = 60


class Player(models.Model):
    """An OSRS account the service tracks, with the link to its fetch schedule."""

    username = models.CharField(max_length=12, help_text="The name as the operator typed it.")
    # Every lookup by name goes through this key; the unique index keeps one row per account.
    username_key = models.CharField(max_length=12, unique=True, editable=False)
    game_mode = models.CharField(
        max_length=16, choices=GameMode.choices, default=GameMode.REGULAR, db_index=True
    )
    fetch_interval_minutes = models.PositiveIntegerField(default=DEFAULT_FETCH_INTERVAL_MINUTES)
    is_active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_fetched = models.DateTimeField(null=True, blank=True)
    last_changed = models.DateTimeField(null=True, blank=True)
    game_mode_checked_at = models.DateTimeField(null=True, blank=True)
    # Outcome of the latest fetch (success, unchanged, not_found, unavailable, rejected).
    last_fetch_status = models.CharField(max_length=16, blank=True, default="")
    # Set when a reading was rejected (values went down); cleared by the next plausible reading.
    flag_reason = models.TextField(blank=True, default="")
    flagged_at = models.DateTimeField(null=True, blank=True)
    # The scheduled fetch that claimed the player's current due time (hiscores.services.
    # scheduled_fetch_claim): a second send of that due time by another beat is skipped.
    scheduled_fetch_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    scheduled_fetch_delivery = models.CharField(
        max_length=64, blank=True, default="", editable=False
    )
    # Adaptive fetching (players/intervals.py): scheduled fetches that keep finding nothing stretch
    # the interval the PeriodicTask carries; None means "the configured interval".
    effective_interval_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    unchanged_fetches = models.PositiveIntegerField(default=0, editable=False)
    # Missing players (players/missing.py): fetches in a row that found no board; after
    # MISSING_AFTER_FETCHES of them the player is marked missing (never deleted) until found again.
    missing_fetches = models.PositiveIntegerField(default=0, editable=False)
    missing_since = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    # The id lives here so the database keeps the link honest; players/schedules.py owns the task.
    fetch_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="player",
    )

    class Meta:
        ordering = ["username_key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    fetch_interval_minutes__gte=MIN_FETCH_INTERVAL_MINUTES,
                    fetch_interval_minutes__lte=MAX_FETCH_INTERVAL_MINUTES,
                ),
                name="player_fetch_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(game_mode__in=GameMode.values), name="player_game_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def schedule_interval_minutes(self) -> int:
        """The interval the player's PeriodicTask runs at: the adaptive one, else the configured."""
        return self.effective_interval_minutes or self.fetch_interval_minutes


class GameModeChange(models.Model):
    """One detected downward move, e.g. the day a hardcore died."""

    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="game_mode_changes")
    from_mode = models.CharField(max_length=16, choices=GameMode.choices)
    to_mode = models.CharField(max_length=16, choices=GameMode.choices)
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-detected_at"]
        indexes = [models.Index(fields=["player", "-detected_at"], name="gmc_player_detected")]

    def __str__(self) -> str:
        return (
            f"{self.player_id}: {self.from_mode} -> {self.to_mode} at {self.detected_at:%Y-%m-%d}"
        )


class NameChange(models.Model):
    """One accepted rename of a player: the old and new names, who did it and what was checked.

    `checks` is the list the verification produced: `{"name", "passed", "detail"}` per check
    (`passed` is null for a check that was not run, e.g. the old-name check when forced).
    Lookups by a former name go through `old_username_key` (players.selectors.player_get).
    """

    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="name_changes")
    old_username = models.CharField(max_length=12)
    old_username_key = models.CharField(max_length=12, editable=False)
    new_username = models.CharField(max_length=12)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checks = models.JSONField(default=list, blank=True)
    forced = models.BooleanField(default=False)
    # The id of the duplicate player whose history was folded in (the row itself is gone).
    merged_player_id = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [
            models.Index(fields=["old_username_key", "-changed_at"], name="namechange_old_key"),
            models.Index(fields=["player", "-changed_at"], name="namechange_player_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.old_username} -> {self.new_username} at {self.changed_at:%Y-%m-%d %H:%M}"


class Group(models.Model):
    """A named set of tracked players (a clan, a team): combined gains, stats and fetches."""

    name = models.CharField(
        max_length=100, help_text="Unique, compared by `name_key` (any case, width, spacing)."
    )
    # players.names.name_key(name): NFKC, case folded, spaces collapsed; the unique comparison.
    name_key = models.CharField(max_length=200, editable=False, default="")
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    members = models.ManyToManyField(
        Player, through="GroupMembership", related_name="groups", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="group_name_unique_ci"),
            models.UniqueConstraint(fields=["name_key"], name="group_name_key_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # A derived value of the row: kept with the name whoever saves it (services set it too).
        self.name_key = name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


class GroupMembership(models.Model):
    """One player in one group, with an optional role (leader, member, ...)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(max_length=32, blank=True, default="")
    joined_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["group", "player__username_key"]
        constraints = [
            models.UniqueConstraint(fields=["group", "player"], name="group_membership_unique"),
        ]

    def __str__(self) -> str:
        # Reads both rows: list memberships with select_related("player", "group").
        return f"{self.player.username} in {self.group.name}"
