"""Fixtures of the fault drills: a folder for logs and state, and the processes a drill started
(always stopped at teardown, whatever happened)."""

from __future__ import annotations

import pytest

from tests.drills.harness import PrivateRedis, Processes


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


@pytest.fixture
def procs(tmp_path):
    processes = Processes(log_dir=tmp_path / "logs", var_dir=tmp_path / "var")
    processes.var_dir.mkdir(parents=True, exist_ok=True)
    try:
        yield processes
    finally:
        processes.stop_all()


@pytest.fixture(autouse=True)
def _needs_redis_server():
    if not PrivateRedis.available():
        pytest.skip("the drills need redis-server on PATH (a private instance per drill)")
    try:
        yield
    finally:
        PrivateRedis.stop_all()  # a drill that failed half-way leaves no server behind
