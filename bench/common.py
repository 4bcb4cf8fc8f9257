"""Shared benchmark plumbing: Django set-up on a dedicated database, and figure reporting."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/osrs_diff_bench"


@dataclass(frozen=True)
class Figure:
    """One measured figure; `passed` is None when the figure has no target."""

    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None


def setup_django(*, database_url: str | None = None, migrate: bool = True) -> None:
    """Configure Django for a benchmark: its own PostgreSQL database (created if missing)."""
    os.environ.setdefault("DATABASE_URL", database_url or DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osrs_diff.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghij")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("LOG_FORMAT", "console")
    sys.path.insert(0, str(REPO))
    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def _create_database(url: str) -> None:
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        return
    admin = psycopg.connect(
        host=config.get("HOST") or "127.0.0.1",
        port=config.get("PORT") or 5432,
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{config["NAME"]}"')


def report(title: str, figures: list[Figure]) -> None:
    """Print the figures as a table, and as one JSON line for `make bench` to collect."""
    print(f"\n{title}")
    for figure in figures:
        verdict = {True: "pass", False: "FAIL", None: ""}[figure.passed]
        target = f"target {figure.target}" if figure.target else ""
        print(
            f"  {figure.name:<48} {figure.value:>14,.3f} {figure.unit:<12} {target:<18} {verdict}"
        )
    print("BENCH-JSON " + json.dumps({"title": title, "figures": [asdict(f) for f in figures]}))


def timed_runs(run, *, repeat: int) -> tuple[float, float, list[dict]]:
    """Median and p95 (ms) of `repeat` timed calls of `run` after a warm-up, and the queries one
    call makes (captured from a separate call, so the timings carry no capture overhead)."""
    import statistics
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()  # warm-up (plans, caches)
    with CaptureQueriesContext(connection) as captured:
        run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 2 else median
    return median, p95, captured.captured_queries
