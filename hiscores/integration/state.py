"""Small shared state for the rate limiter and the circuit breaker, updated atomically.

Three stores with one interface (`transact(key, fn)`: read the JSON state, compute, write back
atomically):

- `RedisStore`: the production store, shared by every process and host (read, compute, then an
  atomic compare-and-set script - the project's one Redis idiom, `osrs_diff.redis_scripts`;
  contention is tiny at a few requests per second).
- `FileStore`: embedded mode (`REDIS_URL` unset, web/worker/beat as separate processes on one
  machine): one JSON file per key under `VAR_DIR/hiscores/`, serialised with an `fcntl` lock.
- `LocalStore`: one process only (benchmarks, scripts).

Keeping the logic in Python (not Lua) means the limiter and breaker behave identically on every
store and take an injectable clock in tests.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import redis

from osrs_diff.jsonsafe import loads_lenient
from osrs_diff.redis_scripts import RedisScript

T = TypeVar("T")
State = dict[str, Any]
Update = Callable[[State | None], tuple[State | None, T]]


class StateStoreError(Exception):
    """The store could not be read or written (Redis down, disk full)."""


class StateStore(Protocol):
    backend: str

    def transact(self, key: str, fn: Update[T], *, ttl: float | None = None) -> T: ...

    def read(self, key: str) -> State | None: ...


def _decode(raw: bytes | str | None) -> State | None:
    # A corrupt value resets the state rather than wedging every caller.
    value = loads_lenient(raw)
    return value if isinstance(value, dict) else None


_COMPARE_AND_SET = RedisScript(
    """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
"""
)


class RedisStore:
    backend = "redis"

    def __init__(self, url: str, *, prefix: str = "osrs_diff:hiscores:") -> None:
        self.url = url
        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    def transact(self, key: str, fn: Update[T], *, ttl: float | None = None) -> T:
        name = self.prefix + key
        try:
            while True:
                raw = self._redis.get(name)
                new_state, result = fn(_decode(raw))
                new_raw = "" if new_state is None else json.dumps(new_state)
                px = max(1, int(ttl * 1000)) if ttl else 0
                # Compare-and-set in one atomic script: written only if nobody changed it since
                # the read; otherwise read again and recompute.
                if _COMPARE_AND_SET.run(self._redis, [name], [raw or b"", new_raw, px]):
                    return result
        except redis.RedisError as exc:
            raise StateStoreError(f"redis: {exc.__class__.__name__}") from exc

    def read(self, key: str) -> State | None:
        try:
            return _decode(self._redis.get(self.prefix + key))
        except redis.RedisError as exc:
            raise StateStoreError(f"redis: {exc.__class__.__name__}") from exc

    def close(self) -> None:
        self._redis.close()


class FileStore:
    """JSON files under `directory`, one per key, each guarded by an exclusive `flock`."""

    backend = "file"

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._local = threading.Lock()  # flock is per open file; threads need their own guard

    def _path(self, key: str) -> Path:
        return self.directory / f"{key.replace(':', '_')}.json"

    def transact(self, key: str, fn: Update[T], *, ttl: float | None = None) -> T:
        # ttl is irrelevant for a handful of small files; the state stays until overwritten.
        path = self._path(key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self._local, open(path.with_suffix(".lock"), "a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    current = _decode(path.read_bytes()) if path.exists() else None
                    new_state, result = fn(current)
                    if new_state is None:
                        path.unlink(missing_ok=True)
                    else:
                        # Write-then-rename: a crash never leaves a half-written state behind.
                        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
                        with os.fdopen(fd, "w") as out:
                            json.dump(new_state, out)
                        os.replace(tmp, path)
                    return result
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        except OSError as exc:
            raise StateStoreError(f"file: {exc}") from exc

    def read(self, key: str) -> State | None:
        path = self._path(key)
        try:
            return _decode(path.read_bytes()) if path.exists() else None
        except OSError as exc:
            raise StateStoreError(f"file: {exc}") from exc


class LocalStore:
    """In-process state (one process only)."""

    backend = "local"

    def __init__(self) -> None:
        self._data: dict[str, State] = {}
        self._lock = threading.Lock()

    def transact(self, key: str, fn: Update[T], *, ttl: float | None = None) -> T:
        with self._lock:
            current = self._data.get(key)
            new_state, result = fn(dict(current) if current is not None else None)
            if new_state is None:
                self._data.pop(key, None)
            else:
                self._data[key] = new_state
            return result

    def read(self, key: str) -> State | None:
        with self._lock:
            current = self._data.get(key)
            return dict(current) if current is not None else None
