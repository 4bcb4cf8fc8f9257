"""The README's 5-minute tour, run verbatim against a live server (issue 17).

The set-up is what `make demo` does, on the test database and Redis: the fake hiscores server
with the sample players, `prepare_demo` (the sample players tracked, the demo game-mode check),
the user demo/demo, then gunicorn and a Celery worker as real processes. Each fenced bash block
under "A 5-minute tour" runs in one bash session (so `API` and `TOKEN` carry over), only the
address swapped for the live server's. A step fails the test when any command in it fails
(`set -o pipefail` with an ERR trap) or when the HTTP statuses it prints differ from the `# 201`
comments written under its commands.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.core.management import call_command

from hiscores.integration.fake_data import write_sample_players
from tests.drills.harness import BIN, REPO, Processes, database_url, drill_env, free_port
from tests.readme import TOUR_BASE_URL, tour_steps

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

_STEP_END = "@@tour-step-end@@"
_FAILED = "@@tour-command-failed@@"
_STATUS_LINE = re.compile(r"^(\d{3})$", re.M)


def _run_tour(steps, *, base_url: str, timeout: float) -> list[tuple[str, int]]:
    """Run every step in one bash; returns (output, failed commands) per step."""
    script = ["set -o pipefail", f"trap 'echo {_FAILED} \"$BASH_COMMAND\"' ERR"]
    for step in steps:
        script.append(step.script.replace(TOUR_BASE_URL, base_url))
        script.append(f"echo {_STEP_END}")
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    outputs = done.stdout.split(f"{_STEP_END}\n")
    assert len(outputs) == len(steps) + 1, f"the tour stopped early:\n{done.stdout}\n{done.stderr}"
    return [(output, output.count(_FAILED)) for output in outputs[:-1]]


def test_the_readme_tour_works_against_a_live_demo(fake_hiscores, tmp_path, monkeypatch, settings):
    if not shutil.which("curl") or not shutil.which("python3"):
        pytest.skip("the tour needs curl and python3 on PATH")
    steps = tour_steps()
    assert steps, "README.md has no tour"

    procs = Processes(log_dir=tmp_path / "logs", var_dir=tmp_path / "var")
    procs.var_dir.mkdir(parents=True)
    env = drill_env(
        database_url=database_url(),
        redis_url=settings.REDIS_URL,
        var_dir=procs.var_dir,
        OSRS_HISCORES_BASE_URL=fake_hiscores.url,
    )
    # What `make demo` does before starting the processes: the sample players on the fake
    # server, the demo user (hashed by the product's own hasher: tests use a fast one), the
    # tracked sample players and the demo's game-mode check.
    write_sample_players(fake_hiscores.data_dir)
    subprocess.run(
        [str(BIN / "python"), "manage.py", "ensure_superuser"],
        cwd=REPO,
        env={**env, "DJANGO_SUPERUSER_USERNAME": "demo", "DJANGO_SUPERUSER_PASSWORD": "demo"},
        check=True,
        capture_output=True,
        timeout=60,
    )
    monkeypatch.setenv("OSRS_DIFF_DEMO", "1")
    call_command("prepare_demo", wait=5)
    port = free_port()
    try:
        procs.gunicorn("web", env=env, port=port, workers=1, threads=4)
        procs.worker("worker", env=env, concurrency=1)
        results = _run_tour(steps, base_url=f"http://127.0.0.1:{port}", timeout=45)
    finally:
        procs.stop_all()

    for step, (output, failures) in zip(steps, results, strict=True):
        printed = [int(code) for code in _STATUS_LINE.findall(output)]
        assert failures == 0, f"tour step {step.number} had a failing command:\n{output}"
        assert printed == step.expected_statuses, (
            f"tour step {step.number} printed statuses {printed}, the README says "
            f"{step.expected_statuses}:\n{step.script}\n--- output ---\n{output}"
        )
