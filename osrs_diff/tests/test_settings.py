"""Start-up refuses dangerous configurations; system checks guard UTC and the beat scheduler."""

import os
import subprocess
import sys

from django.conf import settings
from django.test import override_settings

from osrs_diff.checks import check_beat_scheduler, check_time_zone


def _import_settings(code="import osrs_diff.settings", **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = _import_settings(DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_with_a_secret_key_starts():
    result = _import_settings(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50)

    assert result.returncode == 0, result.stderr


def test_an_empty_user_agent_as_compose_passes_it_falls_back_to_the_named_default():
    result = _import_settings(
        "import osrs_diff.settings as s; print(s.OSRS_HISCORES_USER_AGENT)",
        DJANGO_DEBUG="true",
        OSRS_HISCORES_USER_AGENT="",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("osrs-diff/")


@override_settings(TIME_ZONE="Europe/London")
def test_a_non_utc_time_zone_fails_the_checks():
    assert [error.id for error in check_time_zone(None)] == ["osrs_diff.E001"]


@override_settings(USE_TZ=False)
def test_naive_datetimes_fail_the_checks():
    assert [error.id for error in check_time_zone(None)] == ["osrs_diff.E002"]


def test_utc_passes_the_checks():
    assert check_time_zone(None) == []


@override_settings(CELERY_BEAT_SCHEDULER="")
def test_a_missing_beat_scheduler_fails_the_checks():
    assert [error.id for error in check_beat_scheduler(None)] == ["osrs_diff.E004"]


@override_settings(CELERY_BEAT_SCHEDULER="celery.beat:PersistentScheduler")
def test_a_non_database_beat_scheduler_fails_the_checks():
    assert [error.id for error in check_beat_scheduler(None)] == ["osrs_diff.E006"]


def test_the_configured_beat_scheduler_passes_the_checks():
    assert check_beat_scheduler(None) == []


def test_a_defer_bound_that_leaves_web_requests_no_room_is_warned_about(settings):
    from osrs_diff.checks import check_defer_bound_leaves_room_for_web_requests as check

    settings.OSRS_HISCORES_RATE = 0.5
    settings.OSRS_HISCORES_WEB_DEADLINE = 8.0
    settings.FETCH_DEFER_AFTER_SECONDS = 4.0
    assert check(None) == []  # the defaults: 8 - 2 / 0.5 = 4 s of room
    settings.FETCH_DEFER_AFTER_SECONDS = 15.0
    [warning] = check(None)
    assert warning.id == "osrs_diff.W031"
