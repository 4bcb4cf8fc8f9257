"""A fake OSRS hiscores server: the exact URL shapes, from a directory of player files.

Data directory layout (one JSON file per player and board; edits take effect on the next request):

    DATA/
      hiscore_oldschool/                    # regular board (every account is on it)
        lynx_titan.json                     # answers ?player=Lynx Titan, lynx_titan, LYNX-TITAN
      hiscore_oldschool_ironman/
      hiscore_oldschool_hardcore_ironman/
      hiscore_oldschool_ultimate/

The file name is the player name in lower case with spaces as underscores. A file is either a
plain `index_lite.json` body (`{"skills": [...], "activities": [...]}`), answered as is, or a
scripted player:

    {
      "stats": {"attack": 13034431, "zulrah": 25},   # or "body": {...a full body...}
      "progress": {"per": "request", "gains": {"attack": 5000, "zulrah": 1}},
      "freeze_after": 10,                           # progress stops after 10 steps
      "remove_after": 20                            # after 20 steps the board answers 404
    }

`stats` is expanded with `make_hiscores_body` (catalogue keys; skills in XP, the rest in scores).
A *step* is one earlier request for that file (`"per": "request"`) or one whole minute since the
server started (`"per": "minute"`, the same clock for every board). Scripting the real life events:
a hardcore who dies freezes on the hardcore board while the ironman board keeps progressing
(`freeze_after` on the hardcore file); a de-ironed account freezes on the ironman board while the
regular board keeps progressing (`freeze_after` on the ironman file).

Unknown players get 404 with an HTML page like Jagex's. Failures like the real ones can be
injected on a fraction of requests (`fail_rate` with `fail_modes`) or scripted for the next
requests (`fail_next`); `latency_ms` delays every answer. Modes: `503`, `500`, `429`, `slow`
(answers after `slow_seconds`), `html` (200 with an HTML page), `truncated` (200 with half a JSON
body), `empty` (200 with no body), `disconnect` (closes the connection without answering).
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hiscores.integration.fake_data import BOARDS, player_file_name, write_player_file
from hiscores.integration.fakes import dumps_body, make_hiscores_body, progress_body

logger = logging.getLogger(__name__)

FAIL_MODES = ("503", "500", "429", "slow", "html", "truncated", "empty", "disconnect")
DEFAULT_FAIL_MODES = ("503", "slow", "html", "truncated")

_PATH = re.compile(r"^/m=(?P<board>[a-z_]+)/index_lite\.json$")

NOT_FOUND_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>404 - Page not found</title></head>
<body class="error-page"><div id="main"><h1>Sorry, the page you were looking for was not found.</h1>
<p>The page may have moved, or the player may not be on this hiscore table.</p>
<a href="https://secure.runescape.com/m=hiscore_oldschool/overall">Return to the hiscores</a>
</div></body></html>
"""
MAINTENANCE_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Old School RuneScape - Hiscores</title></head>
<body><h1>Sorry, the hiscores are currently unavailable.</h1>
<p>We are experiencing high demand. Please try again shortly.</p></body></html>
"""
ERROR_PAGE = b"""<!DOCTYPE html>
<html><head><title>503 Service Unavailable</title></head>
<body><h1>Service Unavailable</h1></body></html>
"""


@dataclass(frozen=True)
class RecordedRequest:
    at: float
    board: str | None
    player: str | None
    status: int | None  # None: no answer (disconnect)
    mode: str | None  # the injected failure, if any
    user_agent: str | None


class FakeHiscoresServer:
    """The fake server; `start()` runs it in a background thread, `serve_forever()` in this one."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fail_rate: float = 0.0,
        fail_modes: Iterable[str] = DEFAULT_FAIL_MODES,
        latency_ms: float = 0.0,
        slow_seconds: float = 15.0,
        seed: int | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.latency_ms = float(latency_ms)
        self.slow_seconds = float(slow_seconds)
        self.set_failures(fail_rate, fail_modes)
        self.requests: deque[RecordedRequest] = deque(maxlen=10_000)
        self._random = random.Random(seed)
        self._scripted: deque[tuple[str, str | None]] = deque()
        self._counters: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._started_at = time.time()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def _bind(self) -> ThreadingHTTPServer:
        httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        httpd.daemon_threads = True
        httpd.app = self  # type: ignore[attr-defined]
        self.port = httpd.server_address[1]
        self._httpd = httpd
        return httpd

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeHiscoresServer:
        httpd = self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        httpd = self._bind()
        try:
            httpd.serve_forever()
        finally:
            httpd.server_close()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # --- players ---

    def player_path(self, name: str, board: str = BOARDS[0]) -> Path:
        return self.data_dir / str(board) / player_file_name(name)

    def add_player(
        self,
        name: str,
        *,
        board: str = BOARDS[0],
        stats: Mapping[str, int | None] | None = None,
        body: Mapping[str, Any] | None = None,
        gains: Mapping[str, int] | None = None,
        per: str = "request",
        freeze_after: int | None = None,
        remove_after: int | None = None,
    ) -> Path:
        """Write (or overwrite) a player's file on one board; see the module doc for the fields."""
        return write_player_file(
            self.data_dir,
            name,
            board=board,
            stats=stats,
            body=body,
            gains=gains,
            per=per,
            freeze_after=freeze_after,
            remove_after=remove_after,
        )

    update_player = add_player

    def remove_player(self, name: str, *, board: str | None = None) -> None:
        """Remove a player from one board (or every board): it answers 404 from now on."""
        for b in [board] if board else BOARDS:
            self.player_path(name, str(b)).unlink(missing_ok=True)

    # --- failures ---

    def set_failures(self, rate: float, modes: Iterable[str] = DEFAULT_FAIL_MODES) -> None:
        modes = tuple(str(m) for m in modes)
        bad = set(modes) - set(FAIL_MODES)
        if bad or not modes:
            raise ValueError(f"fail modes must be some of {FAIL_MODES}, got {sorted(bad)}")
        if not 0 <= rate <= 1:
            raise ValueError("fail rate must be between 0 and 1")
        self.fail_rate = float(rate)
        self.fail_modes = modes

    def fail_next(self, *modes: str, player: str | None = None) -> None:
        """Answer the next requests (of `player`, or of anyone) with these failures, in order."""
        for mode in modes:
            if mode not in FAIL_MODES:
                raise ValueError(f"unknown fail mode {mode!r}")
        who = player_file_name(player) if player else None
        with self._lock:
            self._scripted.extend((mode, who) for mode in modes)

    def reset(self) -> None:
        """Forget scripted failures, counters and the request log; failure rate back to 0."""
        with self._lock:
            self._scripted.clear()
            self._counters.clear()
            self.requests.clear()
            self._started_at = time.time()
        self.fail_rate = 0.0
        self.latency_ms = 0.0

    def count(self, *, player: str | None = None, board: str | None = None) -> int:
        """How many requests arrived (for a player and/or board)."""
        file_name = player_file_name(player) if player else None
        return sum(
            1
            for r in list(self.requests)
            if (board is None or r.board == board)
            and (file_name is None or (r.player and player_file_name(r.player) == file_name))
        )

    # --- answering ---

    def _pick_failure(self, file_name: str | None) -> str | None:
        with self._lock:
            for i, (mode, who) in enumerate(self._scripted):
                if who is None or who == file_name:
                    del self._scripted[i]
                    return mode
            if self.fail_rate and self._random.random() < self.fail_rate:
                return self._random.choice(self.fail_modes)
        return None

    def _step(self, board: str, file_name: str, per: str) -> int:
        with self._lock:
            if per == "minute":
                return int((time.time() - self._started_at) // 60)
            step = self._counters.get((board, file_name), 0)
            self._counters[(board, file_name)] = step + 1
            return step

    def answer(self, board: str | None, player: str | None) -> tuple[int, bytes, str, str | None]:
        """(status, body, content type, injected failure mode) for one request."""
        file_name = player_file_name(player) if player else None
        mode = self._pick_failure(file_name)
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if mode in ("503", "500"):
            return int(mode), ERROR_PAGE, "text/html", mode
        if mode == "429":
            return 429, ERROR_PAGE, "text/html", mode
        if mode == "html":
            return 200, MAINTENANCE_PAGE, "text/html", mode
        if mode == "empty":
            return 200, b"", "application/json", mode
        if mode == "disconnect":
            return 0, b"", "", mode
        if mode == "slow":
            time.sleep(self.slow_seconds)

        if board not in BOARDS or not file_name or file_name == ".json":
            return 404, NOT_FOUND_PAGE, "text/html", mode
        path = self.data_dir / board / file_name
        try:
            spec = json.loads(path.read_text())
        except FileNotFoundError:
            return 404, NOT_FOUND_PAGE, "text/html", mode
        except ValueError:
            logger.error("fake hiscores: %s is not valid JSON", path)
            return 500, ERROR_PAGE, "text/html", mode
        body = self._render(board, file_name, spec)
        if body is None:
            return 404, NOT_FOUND_PAGE, "text/html", mode
        data = dumps_body(body)
        if mode == "truncated":
            return 200, data[: max(1, len(data) // 2)], "application/json", mode
        return 200, data, "application/json", mode

    def _render(self, board: str, file_name: str, spec: dict[str, Any]) -> dict | None:
        if "skills" in spec and "activities" in spec:
            return spec  # a plain body
        body = spec.get("body") or make_hiscores_body(spec.get("stats") or {})
        progress = spec.get("progress") or {}
        per = progress.get("per", "request")
        step = self._step(board, file_name, per)
        remove_after = spec.get("remove_after")
        if remove_after is not None and step >= remove_after:
            return None
        freeze_after = spec.get("freeze_after")
        steps = step if freeze_after is None else min(step, freeze_after)
        return progress_body(body, progress.get("gains") or {}, steps=steps)


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeHiscores/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive: exercises the client's connection pool
    # Headers and body go out in two writes; with Nagle and delayed ACKs on a kept-alive
    # connection each answer would stall ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        app: FakeHiscoresServer = self.server.app  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        match = _PATH.match(parts.path)
        board = match["board"] if match else None
        player = (parse_qs(parts.query).get("player") or [None])[0]
        if parts.path in ("/", "/_fake/health"):
            status, body, ctype, mode = 200, b"fake hiscores: ok\n", "text/plain", None
        else:
            status, body, ctype, mode = app.answer(board, player)
        app.requests.append(
            RecordedRequest(
                at=time.time(),
                board=board,
                player=player,
                status=status or None,
                mode=mode,
                user_agent=self.headers.get("User-Agent"),
            )
        )
        if mode == "disconnect":
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if status == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("fake hiscores: " + format, *args)
