"""Liveness and readiness: `/health` says the process is up, `/health/ready` checks dependencies.

Apps add their own readiness details (for example the hiscores circuit breaker) with
`register_readiness_check`; a check returns `(ok, details)` and only `critical` checks can turn the
answer into a 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

CheckResult = tuple[bool, dict[str, Any]]


@dataclass(frozen=True)
class ReadinessCheck:
    name: str
    run: Callable[[], CheckResult]
    critical: bool = True


_checks: dict[str, ReadinessCheck] = {}


def register_readiness_check(
    name: str, run: Callable[[], CheckResult], *, critical: bool = True
) -> None:
    _checks[name] = ReadinessCheck(name=name, run=run, critical=critical)


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, {"vendor": connection.vendor}


def check_broker() -> CheckResult:
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            client.ping()
        finally:
            client.close()
        return True, {"transport": "redis"}
    # Embedded mode: kombu's filesystem transport needs its folders to be writable.
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / ".ready-probe"
    probe.write_text("ok")
    probe.unlink()
    return True, {"transport": "filesystem"}


register_readiness_check("database", check_database)
register_readiness_check("broker", check_broker)


def readiness() -> tuple[bool, dict[str, dict[str, Any]]]:
    """Run every check; a failing critical check makes the service not ready."""
    ready = True
    report: dict[str, dict[str, Any]] = {}
    for check in _checks.values():
        try:
            ok, details = check.run()
        except Exception as exc:  # a dead dependency shows up as any kind of error
            logger.warning("readiness check %s failed: %s", check.name, exc)
            ok, details = False, {"error": exc.__class__.__name__}
        report[check.name] = {
            "status": "ok" if ok else "down",
            "critical": check.critical,
            **details,
        }
        if not ok and check.critical:
            ready = False
    return ready, report
