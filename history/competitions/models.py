"""Competitions: a metric over [starts_at, ends_at] among participants, optionally in teams."""

from __future__ import annotations

from datetime import datetime

from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

TITLE_MAX_LENGTH = 120
TEAM_NAME_MAX_LENGTH = 60


def _task_link() -> models.OneToOneField:
    """A competition's link to one of its clocked PeriodicTasks (see the fields below)."""
    return models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )


class CompetitionQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete the competitions and their clocked tasks (a queryset delete in the shell too)."""
        from history.competitions import schedules  # the tasks' one owner

        with transaction.atomic():
            task_ids = [
                pk
                for row in self.values_list(
                    "pre_start_task_id", "start_task_id", "final_fetch_task_id", "end_task_id"
                )
                for pk in row
            ]
            result = super().delete()
            schedules.competition_tasks_delete(task_ids=task_ids)
        return result


class Competition(models.Model):
    """A competition: who gains the most of one catalogue metric between two instants."""

    class Kind(models.TextChoices):
        CLASSIC = "classic"
        TEAM = "team"

    class Status(models.TextChoices):
        UPCOMING = "upcoming"
        ONGOING = "ongoing"
        FINISHED = "finished"

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    metric = models.CharField(max_length=64, help_text="A catalogue metric key (overall too).")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CLASSIC)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Set once, by the task that records the event: a redelivered task records nothing twice.
    started_event_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_event_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The clocked one-off tasks (history.competitions.schedules owns them). Plain ids, no
    # database constraint: a SET_NULL link would add four UPDATEs to every PeriodicTask delete
    # (each player's too); the sync treats an id whose row is gone as a missing task.
    pre_start_task = _task_link()
    start_task = _task_link()
    final_fetch_task = _task_link()
    end_task = _task_link()
    participants = models.ManyToManyField(
        "players.Player", through="CompetitionParticipant", related_name="competitions"
    )

    objects = CompetitionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="competition_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["classic", "team"]), name="competition_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def delete(self, *args, **kwargs):
        """Delete the competition and its clocked tasks."""
        return type(self).objects.filter(pk=self.pk).delete()

    def status_at(self, now: datetime | None = None) -> str:
        """upcoming before starts_at, ongoing until ends_at, finished from ends_at on."""
        now = now or timezone.now()
        if now < self.starts_at:
            return self.Status.UPCOMING
        if now < self.ends_at:
            return self.Status.ONGOING
        return self.Status.FINISHED


class CompetitionTeam(models.Model):
    """A named team of a team competition (a subset of its participants)."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=TEAM_NAME_MAX_LENGTH)

    class Meta:
        ordering = ["competition", "pk"]
        constraints = [
            models.UniqueConstraint(
                "competition", Lower("name"), name="competition_team_name_unique_ci"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CompetitionParticipant(models.Model):
    """One player in one competition, in at most one of its teams."""

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="participations"
    )
    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="competition_participations"
    )
    team = models.ForeignKey(
        CompetitionTeam,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participations",
    )

    class Meta:
        ordering = ["competition", "player__username_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "player"], name="competition_participant_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.player_id} in {self.competition_id}"
