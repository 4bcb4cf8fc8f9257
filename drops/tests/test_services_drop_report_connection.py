"""drop_report on PostgreSQL skips the per-request connection health check: a dead reused
connection is replaced and the report made once more, counted once (real commits)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection

from drops import services
from drops.models import Drop, Party

pytestmark = pytest.mark.django_db(transaction=True, available_apps=["drops", "osrs_diff"])


def report(item_id: int = 1319):
    return services.drop_report(
        world=444, item_id=item_id, item_name="Rune 2h sword", quantity=1, value=38_052
    )


def test_a_report_on_a_connection_the_server_dropped_succeeds_on_a_new_one():
    report(item_id=1)
    old_backend = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [old_backend])
    connection.health_check_done = False  # a new request, as Django marks it

    result = report(item_id=2)

    assert result.status == "drop_added"
    assert connection.connection.info.backend_pid != old_backend
    assert Drop.objects.count() == 2 and Party.objects.get().total_drops == 2


def test_a_repeat_after_a_lost_answer_counts_the_drop_once(monkeypatch):
    report(item_id=1)  # a reused connection from here on
    real_call = services._call_report_drop
    calls = []

    def answer_lost_after_commit(params):
        calls.append(params)
        row = real_call(params)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return row

    monkeypatch.setattr(services, "_call_report_drop", answer_lost_after_commit)
    result = report(item_id=2)

    assert len(calls) == 2 and calls[0] == calls[1]
    assert result.status == "ignored" and result.duplicate_age_seconds == 0
    assert Drop.objects.filter(item_id=2).count() == 1
    assert Party.objects.get().total_drops == 2


def test_a_failure_on_a_new_connection_is_not_repeated(monkeypatch):
    connection.close()
    calls = []

    def failing(params):
        calls.append(params)
        raise OperationalError("connection refused")

    monkeypatch.setattr(services, "_call_report_drop", failing)
    with pytest.raises(OperationalError):
        report()

    assert len(calls) == 1


def test_a_reused_connection_is_not_health_checked_first(monkeypatch):
    from django.db import connections

    report(item_id=1)
    checks = []
    monkeypatch.setattr(connections["default"], "is_usable", lambda: checks.append(1) or True)
    connection.health_check_done = False  # a new request, as Django marks it

    report(item_id=2)

    assert checks == []
