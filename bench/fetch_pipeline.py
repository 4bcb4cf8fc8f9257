"""Benchmark the fetch pipeline: fetch -> compare -> store, storage per snapshot, dedup ratio.

    .venv/bin/python -m bench.fetch_pipeline                       # defaults: 100 players
    .venv/bin/python -m bench.fetch_pipeline --players 500 --rounds 4 --week-players 300

1. Throughput with one worker: every player progresses on every request of the fake hiscores
   server (its own process, rate limit off), so each fetch stores a snapshot. Prints snapshots/s
   and where the time goes: the product (client, parse, compare, store) versus waiting on HTTP
   (measured as the same requests made with a bare httpx client).
2. Storage: average row size and table+index bytes per stored snapshot.
3. Dedup: a simulated week of hourly fetches of players who play 2 hours a day (ranks drift
   every hour): how many readings were stored.
Runs in its own database (DATABASE_URL, default osrs_diff_bench); only `bench ...` players are
touched.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from bench.common import REPO, Figure, report, setup_django

PREFIX = "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_stats(index: int) -> dict[str, int]:
    from hiscores.integration.catalogue import BOSS_KEYS, SKILL_KEYS

    rng = random.Random(index)
    stats = {key: rng.randint(50_000, 13_000_000) for key in SKILL_KEYS[1:]}
    stats.update({key: rng.randint(0, 800) for key in rng.sample(BOSS_KEYS, 12)})
    return stats


def reset_players(count: int, name: str) -> list:
    from players.game_modes import GameMode
    from players.models import Player
    from players.services import GameModeDetection, players_create_bulk, players_delete

    players_delete(players=Player.objects.filter(username_key__startswith=PREFIX))
    detections = [
        (f"{name}{i}", GameModeDetection(mode=GameMode.REGULAR, readings={})) for i in range(count)
    ]
    players_create_bulk(detections=detections)
    return list(Player.objects.filter(username_key__startswith=name).order_by("pk"))


def start_fake_server(data_dir: str, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "manage.py", "fake_hiscores", "--data", data_dir, "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the fake hiscores server did not start")


def bench_throughput(player_count: int, rounds: int) -> list[Figure]:
    import httpx
    from django.conf import settings

    from hiscores.integration import shared as hiscores_client
    from hiscores.integration.fake_data import write_player_file
    from hiscores.services import board_for, snapshot_record

    players = reset_players(player_count, f"{PREFIX}fp")
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        for index, player in enumerate(players):
            # Every request shows new XP: every fetch stores a snapshot (the expensive path).
            write_player_file(
                data_dir, player.username, stats=base_stats(index), gains={"attack": 120}
            )
        server = start_fake_server(data_dir, port)
        try:
            settings.OSRS_HISCORES_BASE_URL = f"http://127.0.0.1:{port}"
            settings.OSRS_HISCORES_RATE = 0
            hiscores_client.reset_client()
            fetch_seconds = store_seconds = 0.0
            stored = 0
            snapshot_record(
                player_id=players[0].pk,
                reading=hiscores_client.fetch(players[0].username, board_for(players[0])),
            )  # warm-up: connections, first queries
            cpu_started, started = time.process_time(), time.perf_counter()
            for _ in range(rounds):
                for player in players:
                    t0 = time.perf_counter()
                    reading = hiscores_client.fetch(player.username, board_for(player))
                    t1 = time.perf_counter()
                    outcome = snapshot_record(player_id=player.pk, reading=reading)
                    t2 = time.perf_counter()
                    fetch_seconds += t1 - t0
                    store_seconds += t2 - t1
                    stored += outcome.status == "success"
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu_started

            # The same requests with a bare client: what waiting on HTTP alone costs.
            url = f"http://127.0.0.1:{port}/m=hiscore_oldschool/index_lite.json"
            with httpx.Client() as bare:
                bare_started = time.perf_counter()
                for _ in range(rounds):
                    for player in players:
                        bare.get(url, params={"player": player.username}).raise_for_status()
                http_seconds = time.perf_counter() - bare_started
        finally:
            server.terminate()
            server.wait(timeout=10)
    fetches = rounds * len(players)
    http_share = min(1.0, http_seconds / total)
    print(
        f"throughput: {fetches} fetches of {len(players)} players, {stored} snapshots stored; "
        f"client+parse {fetch_seconds / fetches * 1e3:.2f} ms, compare+store "
        f"{store_seconds / fetches * 1e3:.2f} ms, bare HTTP {http_seconds / fetches * 1e3:.2f} ms "
        f"per fetch; worker CPU {cpu / fetches * 1e3:.2f} ms per fetch"
    )
    return [
        Figure("fetch->compare->store, one worker", stored / total, "snapshots/s"),
        Figure("time in the product (vs waiting on HTTP)", (1 - http_share) * 100, "%"),
        Figure("time waiting on HTTP", http_share * 100, "%"),
    ]


def bench_storage() -> list[Figure]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), avg(pg_column_size(s.*)), pg_total_relation_size('hiscores_snapshot')"
            " FROM hiscores_snapshot s"
        )
        count, row_bytes, total_bytes = cursor.fetchone()
    if not count:
        return []
    return [
        Figure("row size per snapshot", float(row_bytes), "bytes"),
        Figure("table+indexes per snapshot", total_bytes / count, "bytes"),
    ]


def bench_dedup(player_count: int) -> list[Figure]:
    """A week of hourly fetches; each player plays 2 consecutive hours a day."""
    from hiscores.integration.fakes import make_hiscores_body
    from hiscores.integration.parsing import parse_hiscores
    from hiscores.integration.results import Board
    from hiscores.services import snapshot_record

    players = reset_players(player_count, f"{PREFIX}wk")
    start = datetime(2026, 1, 5, tzinfo=UTC)
    rng = random.Random(42)
    fetches = stored = 0
    started = time.perf_counter()
    for index, player in enumerate(players):
        stats = base_stats(index)
        play_hour = rng.randrange(24)
        for hour in range(7 * 24):
            if (hour % 24) in (play_hour, (play_hour + 1) % 24) and hour > 0:
                stats["slayer"] += rng.randint(20_000, 60_000)
                stats["hitpoints"] += rng.randint(5_000, 15_000)
            # Ranks drift every hour as other players train: never a reason to store a row.
            ranks = {"overall": 100_000 + hour * 7 + rng.randint(0, 50)}
            body = make_hiscores_body(stats, ranks=ranks)
            reading = parse_hiscores(
                body, board=Board.REGULAR, fetched_at=start + timedelta(hours=hour)
            )
            stored += snapshot_record(player_id=player.pk, reading=reading).status == "success"
            fetches += 1
    seconds = time.perf_counter() - started
    print(
        f"dedup: {player_count} players x 168 hourly fetches = {fetches} readings, "
        f"{stored} stored ({seconds:.1f} s, {fetches / seconds:,.0f} readings/s compared "
        "in process)"
    )
    return [
        Figure("week of hourly fetches: readings per stored row", fetches / stored, "x"),
        Figure("week of hourly fetches: share stored", stored / fetches * 100, "%"),
    ]


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=100, help="Players fetched per round.")
    parser.add_argument("--rounds", type=int, default=3, help="Fetches per player.")
    parser.add_argument("--week-players", type=int, default=60, help="Players in the week run.")
    args = parser.parse_args(argv)
    setup_django()

    figures = bench_throughput(args.players, args.rounds)
    figures += bench_storage()
    figures += bench_dedup(args.week_players)
    report("fetch pipeline (bench/fetch_pipeline.py)", figures)
    return figures


if __name__ == "__main__":
    main()
