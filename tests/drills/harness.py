"""Process plumbing for the fault drills: real workers, beat, gunicorn, Redis and a TCP proxy.

Used by the fast drills (tests/drills/) and their long versions (bench/drills.py). Everything here
starts real processes in their own session (process group) and stops them for good: a drill that
fails half-way still leaves nothing running.

Safety rules (the machine is shared): the machine's own Redis and PostgreSQL are never stopped.
A drill that stops Redis runs its own `redis-server` on a free loopback port; a drill that "restarts
PostgreSQL" cuts a loopback TCP proxy between the app and the database instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from osrs_diff.queues import QUEUES

ALL_QUEUES = ",".join(QUEUES)  # a drill worker consumes every queue

REPO = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
# Never passed on to drill processes: they get their own values or none.
_DROPPED_ENV = ("PROMETHEUS_MULTIPROC_DIR", "METRICS_COLLECT_DIR", "CELERY_BEAT_SCHEDULER")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1
) -> Any:
    """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def database_url(*, host: str | None = None, port: int | None = None) -> str:
    """The URL of the database Django is using now (the test database under pytest)."""
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    host = host or db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{port or db['PORT'] or 5432}/{db['NAME']}"


def drill_env(*, database_url: str, redis_url: str, var_dir: Path, **extra: Any) -> dict[str, str]:
    """Environment of a drill process: our database and Redis, console logs, no secrets needed."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="osrs_diff.settings",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY")
        or "drill-only-secret-key-not-for-production-0123456789",
        DJANGO_DEBUG="false",
        LOG_FORMAT="console",
        LOG_LEVEL="INFO",
        OSRS_DIFF_VAR_DIR=str(var_dir),
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
        # Hiscores defaults for drills: no rate limit, quick in-process retries.
        OSRS_HISCORES_RATE="0",
        OSRS_HISCORES_RETRY_DELAYS="0.05,0.1",
        OSRS_HISCORES_RETRY_JITTER="0",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (after the parenthesised command, which may hold spaces) is the parent pid.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


class Process:
    """A drill subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def children(self) -> list[int]:
        return _children_of(self.pid) if self.alive() else []

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, pattern: str, *, timeout: float) -> None:
        regex = re.compile(pattern)

        def seen() -> bool:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited early:\n{self.log()[-3000:]}")
            return bool(regex.search(self.log()))

        wait_until(seen, timeout=timeout, what=f"{self.name}: /{pattern}/", interval=0.2)

    def kill_group(self) -> None:
        """SIGKILL the whole process group: the node dies with no chance to clean up."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, *, timeout: float = 15.0) -> None:
        """SIGTERM (a clean stop), then SIGKILL for anything left in the group."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            try:
                self.popen.terminate()
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # pool children, stragglers
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)


class Processes:
    """Every process one drill started; `stop_all()` ends them (fixture teardown)."""

    def __init__(self, log_dir: Path, var_dir: Path) -> None:
        self.log_dir = log_dir
        self.var_dir = var_dir
        self.started: list[Process] = []

    def start(self, name: str, argv: list[str], *, env: dict[str, str]) -> Process:
        process = Process(name, argv, env=env, log_dir=self.log_dir).start()
        self.started.append(process)
        return process

    def worker(
        self, name: str, *, env: dict[str, str], concurrency: int = 1, queues: str = ALL_QUEUES
    ) -> Process:
        argv = [str(BIN / "celery"), "-A", "osrs_diff", "worker", "--pool", "prefork"]
        argv += ["-c", str(concurrency), "-n", f"{name}@drills", "-Q", queues]
        argv += ["--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "INFO"]
        process = self.start(name, argv, env=env)
        process.wait_for_log(r"drills ready\.", timeout=60)
        return process

    def beat(self, name: str, *, env: dict[str, str]) -> Process:
        argv = [str(BIN / "celery"), "-A", "osrs_diff", "beat", "--max-interval", "1", "-l"]
        argv += ["INFO", "--pidfile", "", "-s", str(self.var_dir / f"{name}-schedule")]
        process = self.start(name, argv, env=env)
        process.wait_for_log(r"beat: Starting", timeout=60)
        return process

    def gunicorn(
        self, name: str, *, env: dict[str, str], port: int, workers: int = 2, threads: int = 8
    ) -> Process:
        argv = [str(BIN / "gunicorn"), "osrs_diff.wsgi:application", "--bind"]
        argv += [f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "gthread"]
        argv += ["--threads", str(threads), "--backlog", "2048", "--timeout", "60"]
        argv += ["--graceful-timeout", "5", "--worker-tmp-dir", _tmp_dir()]
        process = self.start(name, argv, env=env)
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            import httpx

            if not process.alive():
                raise RuntimeError(f"gunicorn exited:\n{process.log()[-3000:]}")
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=60, what=f"{name} answering {url}/health", interval=0.2)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop(timeout=10)


def _tmp_dir() -> str:
    return "/dev/shm" if Path("/dev/shm").is_dir() else "/tmp"


class PrivateRedis:
    """A throw-away `redis-server` on a free loopback port (no persistence) that drills may stop."""

    running: set[PrivateRedis] = set()  # stopped by the drills' fixture whatever happened

    def __init__(self, workdir: Path, *, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.popen: subprocess.Popen | None = None
        self.log_path = workdir / f"redis-{self.port}.log"

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> PrivateRedis:
        import redis

        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [shutil.which("redis-server") or "redis-server", "--port", str(self.port)]
        argv += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        argv += ["--dir", str(self.workdir), "--logfile", str(self.log_path)]
        self.popen = subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL)
        PrivateRedis.running.add(self)
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=0.5)

        def pong() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        try:
            wait_until(pong, timeout=15, what=f"redis-server on port {self.port}")
        finally:
            client.close()
        return self

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self.popen = None
        PrivateRedis.running.discard(self)

    @classmethod
    def stop_all(cls) -> None:
        for server in list(cls.running):
            server.stop()

    def client(self, db: int = 0):
        import redis

        return redis.Redis.from_url(self.url(db), socket_connect_timeout=1, socket_timeout=2)


class TcpProxy:
    """A loopback TCP proxy that can be cut (every connection dies, new ones are refused) and
    restored on the same port: what clients see while PostgreSQL restarts."""

    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.connections = 0

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    restore = start

    def cut(self) -> None:
        """Close the listener and every open connection."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            listener.close()
        for sock in sockets:
            _close(sock)

    stop = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _close(client)
                    _close(upstream)
                    return
                self._sockets.update((client, upstream))
                self.connections += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets.discard(src)
                self._sockets.discard(dst)
            _close(src)
            _close(dst)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def send_task(broker_url: str, name: str, *, kwargs: dict[str, Any], **options: Any) -> str:
    """Send a task by name to the broker at `broker_url` (a drill's own Redis); returns its id."""
    from osrs_diff.celery import app

    with app.connection_for_write(broker_url) as conn:
        return app.send_task(name, kwargs=kwargs, connection=conn, **options).id


def observed_fake_hiscores(data_dir: Path, **options: Any):
    """The fake hiscores server, also noting when each request *arrives* (`arrivals`), before
    any injected latency: the request log of the server itself is written after the answer."""
    from hiscores.integration.fake_server import FakeHiscoresServer

    class ObservedFakeHiscores(FakeHiscoresServer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.arrivals: list[tuple[float, str | None, str | None]] = []

        def answer(self, board: str | None, player: str | None):
            self.arrivals.append((time.time(), board, player))
            return super().answer(board, player)

        def arrivals_since(self, since: float, *, until: float | None = None) -> int:
            return sum(1 for at, _, _ in list(self.arrivals) if since <= at < (until or 1e12))

    server = ObservedFakeHiscores(data_dir, **options).start()
    # Drills kill clients mid-request: a broken pipe while answering is expected, not news.
    server._httpd.handle_error = lambda request, client_address: None
    return server
