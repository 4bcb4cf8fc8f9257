"""README.md stays short, its links resolve, and its set-up promises hold (issue 17)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.readme import README, REPO, TOUR_BASE_URL, local_links, readme_text, tour_steps

MAX_README_LINES = 200
# Pages other engineers write in parallel (issue 17); the README and the docs link them already.
# Absent on a branch without them; once merged they are checked like every other link, and this
# list should be emptied.
PENDING_DOCS: set[str] = set()  # docs another branch adds before it lands


def _missing(base, link: str) -> bool:
    path = (base / link).resolve()
    if path.is_file():
        return False
    return not (path.parent == REPO / "docs" and path.name in PENDING_DOCS)


def test_readme_is_at_most_200_lines():
    lines = readme_text().count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


def test_every_docs_link_in_the_readme_resolves_to_a_file():
    links = local_links()
    assert any(link.startswith("docs/") for link in links)
    missing = [link for link in links if _missing(README.parent, link)]
    assert not missing, f"README.md links to missing files: {missing}"


def test_every_link_between_the_docs_resolves():
    missing = []
    for page in sorted((REPO / "docs").glob("*.md")):
        for link in local_links(page.read_text(encoding="utf-8")):
            if _missing(page.parent, link):
                missing.append(f"{page.name} -> {link}")
    assert not missing, f"broken links between docs pages: {missing}"


def test_the_tour_has_steps_that_say_which_status_they_print():
    steps = tour_steps()
    assert len(steps) >= 5
    assert f"API={TOUR_BASE_URL}" in steps[0].script
    statuses = [code for step in steps for code in step.expected_statuses]
    assert 201 in statuses and 202 in statuses
    for needed in ("/auth/login", "/players", "/fetch", "/stats", "/history", "/drops", "/parties"):
        assert any(needed in step.script for step in steps), f"the tour never calls {needed}"


def test_env_example_copied_to_env_keeps_embedded_mode_and_debug_choice():
    active = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            active[key] = value
    for key in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "LOG_FORMAT", "DJANGO_SECURE_COOKIES"):
        assert key not in active, f".env.example sets {key}: copying it to .env would change it"
    text = (REPO / ".env.example").read_text()
    assert "# DATABASE_URL=postgres://" in text and "# REDIS_URL=redis://" in text


def test_env_example_names_every_setting_read_from_the_environment():
    """Each `env(...)` name in settings.py is in .env.example (set or commented out)."""
    settings_text = (REPO / "osrs_diff" / "settings.py").read_text()
    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_0-9]+)"', settings_text))
    example = (REPO / ".env.example").read_text()
    missing = [n for n in sorted(names) if not re.search(rf"^(# )?{n}=", example, re.M)]
    assert not missing, f".env.example lacks {missing}"
    # Public read mode: documented with its defaults, commented out (copying changes nothing).
    assert "\n# PUBLIC_READ=false\n" in example
    assert "\n# PUBLIC_READ_THROTTLE_RATE=120/minute\n" in example


def _clean_env(var_dir) -> dict[str, str]:
    """A shell as a new user has it: no test database, no secret, nothing of ours set."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env["OSRS_DIFF_VAR_DIR"] = str(var_dir)
    return env


@pytest.mark.slow
def test_make_manage_runs_a_command_with_the_settings_of_make_run(tmp_path):
    """`make manage ARGS=...` works as printed, and leaves settings.env for a plain manage.py."""
    if not (REPO / ".venv" / ".installed-run").exists():
        pytest.skip("make manage needs the checkout's .venv (make run or make test creates it)")
    env = _clean_env(tmp_path)
    made = subprocess.run(
        ["make", "-s", "manage", "ARGS=check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert "DJANGO_SECRET_KEY" not in made.stderr
    written = (tmp_path / "settings.env").read_text()
    assert "DJANGO_DEBUG=true" in written and "LOG_FORMAT=console" in written
    assert "OSRS_HISCORES_BASE_URL" not in written  # only the demo points elsewhere

    plain = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert plain.returncode == 0, plain.stdout + plain.stderr


def test_manage_py_without_the_settings_file_still_refuses_to_start_without_a_secret(tmp_path):
    if (REPO / ".env").exists():
        pytest.skip("a local .env may set DJANGO_SECRET_KEY or DJANGO_DEBUG")
    env = _clean_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert 'make manage ARGS="..."' in result.stderr


def test_the_var_folder_settings_point_a_demo_command_at_the_fake_server(tmp_path):
    (tmp_path / "settings.env").write_text(
        "DJANGO_DEBUG=true\nLOG_FORMAT=console\nOSRS_HISCORES_BASE_URL=http://127.0.0.1:8900\n"
    )
    env = _clean_env(tmp_path)
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.LOG_FORMAT, s.OSRS_HISCORES_BASE_URL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO,
        env={**env, "DJANGO_SETTINGS_MODULE": "osrs_diff.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "console", "http://127.0.0.1:8900"]
