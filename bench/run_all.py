"""`make bench`: run every benchmark under bench/ and print one summary table.

    .venv/bin/python -m bench.run_all                 # every script at its default (modest) size
    .venv/bin/python -m bench.run_all parse drops     # some of them

Each script runs in its own process (its output is shown as it goes) and ends with a
`BENCH-JSON` line of figures; the table collects them: figure, value, target, pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench.common import REPO

# Order: cheap first. Each entry is the module under bench/ and its default arguments.
SCRIPTS: dict[str, list[str]] = {
    "parse": [],
    "fetch_pipeline": [],
    "history": [],
    "groups": [],
    "competitions": [],
    "drops": [],
    "beat": [],
    "drills": [],
    "capacity": [],
}


def run_script(name: str, args: list[str]) -> tuple[list[dict], int, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", f"bench.{name}", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    reports = []
    for line in process.stdout:
        if line.startswith("BENCH-JSON "):
            reports.append(json.loads(line.removeprefix("BENCH-JSON ")))
        else:
            print(f"  [{name}] {line}", end="", flush=True)
    return reports, process.wait(), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scripts", nargs="*", help=f"some of: {', '.join(SCRIPTS)} (default: all)")
    options = parser.parse_args(argv)
    chosen = options.scripts or list(SCRIPTS)
    unknown = sorted(set(chosen) - set(SCRIPTS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    rows: list[tuple[str, dict]] = []
    failures: list[str] = []
    for name in chosen:
        print(f"== bench/{name}.py", flush=True)
        reports, code, seconds = run_script(name, SCRIPTS[name])
        print(f"== bench/{name}.py finished in {seconds:.0f} s (exit {code})\n", flush=True)
        if not reports:
            failures.append(f"bench/{name}.py printed no figures (exit {code})")
        for report in reports:
            rows.extend((report["title"], figure) for figure in report["figures"])

    print("\nSummary of the benchmarks (figures measured in this run; targets from the issues)\n")
    width = max((len(f["name"]) for _, f in rows), default=20)
    print(f"{'figure':<{width}}  {'value':>14} {'unit':<12} {'target':<12} result")
    title = None
    for report_title, figure in rows:
        if report_title != title:
            title = report_title
            print(f"-- {title}")
        verdict = {True: "pass", False: "FAIL", None: ""}[figure["passed"]]
        print(
            f"{figure['name']:<{width}}  {figure['value']:>14,.2f} {figure['unit']:<12} "
            f"{figure['target']:<12} {verdict}"
        )
    for failure in failures:
        print(f"!! {failure}")
    missed = sum(1 for _, figure in rows if figure["passed"] is False)
    print(f"\n{len(rows)} figures, {missed} below target, {len(failures)} scripts without figures")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
