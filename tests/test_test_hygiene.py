"""The suite's own rules, checked so a new test cannot quietly break others.

A transactional test (`django_db(transaction=True)`) ends with a flush. Without `available_apps`
that flush empties every table and recreates the content types under new ids, and the browser
tests and drills that restore the database (`serialized_rollback`) then fail on duplicate rows.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"django_db\((?P<args>[^()]*(?:\([^()]*\)[^()]*)*)\)", re.S)


def _test_files():
    for top in ("osrs_diff", "players", "hiscores", "history", "drops", "tests"):
        yield from (p for p in (REPO / top).rglob("test_*.py") if p != Path(__file__))


def test_every_transactional_test_flushes_only_its_apps_or_restores_the_database():
    offenders = []
    for path in _test_files():
        for match in MARKER.finditer(path.read_text()):
            args = match.group("args")
            if "transaction=True" in args and not (
                "available_apps" in args or "serialized_rollback=True" in args
            ):
                line = path.read_text()[: match.start()].count("\n") + 1
                offenders.append(f"{path.relative_to(REPO)}:{line}")
    assert not offenders, "transactional tests without available_apps: " + ", ".join(offenders)


def test_transactional_tests_of_apps_that_record_events_also_flush_the_outbox():
    # players, hiscores and drops record events (osrs_diff.OutboxEvent) in their transactions:
    # a flush that leaves the outbox would hand those rows to the next test.
    offenders = []
    for path in _test_files():
        for match in MARKER.finditer(path.read_text()):
            args = match.group("args")
            if "available_apps" not in args:
                continue
            recording = any(f'"{app}"' in args for app in ("players", "hiscores", "drops"))
            if recording and '"osrs_diff"' not in args:
                line = path.read_text()[: match.start()].count("\n") + 1
                offenders.append(f"{path.relative_to(REPO)}:{line}")
    assert not offenders, "available_apps without the outbox (osrs_diff): " + ", ".join(offenders)
