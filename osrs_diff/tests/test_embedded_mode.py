"""`make run` with nothing but Python: SQLite and the filesystem broker, all three processes."""

import os
import re
import signal
import socket
import subprocess
import threading
import time

import httpx
import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_run_boots_embedded_and_answers_ready(tmp_path):
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG")
        and not k.startswith("PYTEST")
    }
    env["OSRS_DIFF_VAR_DIR"] = str(tmp_path / "var")
    env["LOG_FORMAT"] = "console"
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        body = _wait_until_ready(f"http://127.0.0.1:{port}/health/ready", process)
        assert body["checks"]["database"]["vendor"] == "sqlite"
        assert body["checks"]["broker"]["transport"] == "filesystem"
        assert (tmp_path / "var" / "db.sqlite3").exists()
        # The web answers first; the worker and beat print their start-up lines a moment later.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not _started("".join(lines)):
            assert process.poll() is None, "".join(lines)[-3000:]
            time.sleep(0.5)
    finally:
        # Ctrl-C in the terminal: SIGINT to the whole foreground group stops all processes.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=10)
    output = "".join(lines)
    for name in ("web", "worker", "beat"):
        assert f"{name}." in output, output[-3000:]
    assert _started(output), output[-3000:]


def _started(output: str) -> bool:
    # Workers are named by purpose (scheduled@host, fast@host: Procfile.dev), not celery@host.
    return re.search(r"\w+@\S+ ready\.", output) is not None and "beat: Starting" in output


def _wait_until_ready(url: str, process: subprocess.Popen, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("make run exited early")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail("make run never became ready")
