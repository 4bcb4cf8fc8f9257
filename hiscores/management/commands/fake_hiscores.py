"""Run the fake OSRS hiscores server (for demos and offline development)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hiscores.integration.fake_data import (
    BOARDS,
    SAMPLE_EVENTS_AFTER_MINUTES,
    write_sample_players,
)
from hiscores.integration.fake_server import DEFAULT_FAIL_MODES, FAIL_MODES, FakeHiscoresServer


class Command(BaseCommand):
    help = (
        "Serves the hiscores' index_lite.json URLs for all four boards on loopback from a "
        "directory of player files (DATA/<board>/<player_name>.json; layout in README and "
        "hiscores/integration/fake_server.py), answering 404 with an HTML page for unknown "
        "players. It can "
        "inject the real service's failures on a fraction of requests (--fail-rate, --fail-modes) "
        "and delay every answer (--latency-ms). --sample writes demo players that progress every "
        "minute (Demo HCIM dies after --events-after minutes, default 5, and Demo Deiron de-irons "
        "a minute later). Point the product "
        "at it with OSRS_HISCORES_BASE_URL=http://HOST:PORT. Runs until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data",
            default=str(Path(settings.VAR_DIR) / "fake_hiscores"),
            help="Directory of player files (default: var/fake_hiscores).",
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8900, help="0 picks a free port.")
        parser.add_argument(
            "--fail-rate",
            type=float,
            default=0.0,
            help="Fraction of requests (0-1) answered with one of --fail-modes.",
        )
        parser.add_argument(
            "--fail-modes",
            default=",".join(DEFAULT_FAIL_MODES),
            help=f"Comma-separated failure modes among {', '.join(FAIL_MODES)}.",
        )
        parser.add_argument(
            "--latency-ms", type=float, default=0.0, help="Delay added to every answer."
        )
        parser.add_argument(
            "--slow-seconds",
            type=float,
            default=15.0,
            help="How long a 'slow' failure takes (longer than the client's read timeout).",
        )
        parser.add_argument("--seed", type=int, default=None, help="Seed for injected failures.")
        parser.add_argument(
            "--sample",
            action="store_true",
            help="Write the demo players into --data first (overwrites only their own files).",
        )
        parser.add_argument(
            "--events-after",
            type=int,
            default=SAMPLE_EVENTS_AFTER_MINUTES,
            metavar="MINUTES",
            help="With --sample: minutes after start when Demo HCIM dies (Demo Deiron de-irons "
            f"one minute later; default {SAMPLE_EVENTS_AFTER_MINUTES}).",
        )

    def handle(self, *args, **options) -> None:
        data_dir = Path(options["data"])
        if options["sample"]:
            if options["events_after"] < 0:
                raise CommandError("--events-after must be 0 or more minutes")
            names = write_sample_players(data_dir, events_after_minutes=options["events_after"])
            self.stdout.write(f"Sample players written to {data_dir}: {', '.join(names)}")
        modes = [m.strip() for m in options["fail_modes"].split(",") if m.strip()]
        try:
            server = FakeHiscoresServer(
                data_dir,
                host=options["host"],
                port=options["port"],
                fail_rate=options["fail_rate"],
                fail_modes=modes,
                latency_ms=options["latency_ms"],
                slow_seconds=options["slow_seconds"],
                seed=options["seed"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        players = sorted({p.stem for board in BOARDS for p in (data_dir / board).glob("*.json")})
        try:
            server.start()
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Fake hiscores on {server.url} ({len(players)} players)")
            + f"\n  data: {data_dir}\n  try:  {server.url}/m={BOARDS[0]}/index_lite.json"
            f"?player={players[0] if players else 'some_player'}"
            f"\n  use:  OSRS_HISCORES_BASE_URL={server.url}"
        )
        if options["fail_rate"]:
            self.stdout.write(
                f"  failing {options['fail_rate']:.0%} of requests with: {', '.join(modes)}"
            )
        try:
            server._thread.join()  # type: ignore[union-attr]
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            server.stop()
