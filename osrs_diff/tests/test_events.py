"""The transactional outbox: an event exists exactly when the change that caused it committed."""

import pytest
from django.db import transaction

from osrs_diff import events
from osrs_diff.models import OutboxEvent

# Commits are observed with django_capture_on_commit_callbacks inside the test's transaction (a
# flushing transaction=True test would also wipe the content types other tests restore).
pytestmark = pytest.mark.django_db


def test_a_committed_change_leaves_its_event(monkeypatch, django_capture_on_commit_callbacks):
    kicks = []
    monkeypatch.setattr(events, "kick_delivery", lambda: kicks.append(1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        events.event_record(name=events.PARTY_STARTED, data={"world": 444})
        assert kicks == []  # delivery starts only once the change is committed
    event = OutboxEvent.objects.get()
    assert (event.name, event.data, event.dispatched_at) == ("party.started", {"world": 444}, None)
    assert len(callbacks) == 1 and kicks == [1]


def test_a_rolled_back_change_sends_nothing(monkeypatch, django_capture_on_commit_callbacks):
    kicks = []
    monkeypatch.setattr(events, "kick_delivery", lambda: kicks.append(1))
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        events.event_record(name=events.PLAYER_RENAMED, data={"old": "a", "new": "b"})
        raise RuntimeError("the change failed")
    assert not OutboxEvent.objects.exists()
    assert callbacks == [] and kicks == []


def test_unknown_event_names_are_refused():
    with pytest.raises(ValueError):
        events.event_record(name="player.teleported", data={})


def test_a_dead_broker_does_not_fail_the_change(monkeypatch):
    from celery import current_app
    from kombu.exceptions import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(current_app, "send_task", refuse)
    with transaction.atomic():
        events.event_record(name=events.PARTY_ENDED, data={"world": 1})
    events.kick_delivery()  # what the commit would run: logs, never raises
    assert OutboxEvent.objects.count() == 1
