"""The one Redis access idiom for shared state: small atomic Lua scripts, run by SHA.

Every shared counter or state update (the drop throttle's window counters, the hiscores rate
limiter's and circuit breaker's state) is one atomic script: no WATCH/MULTI retry loops, one
round trip. `RedisScript.run()` uses a redis-py client; `run_on_connection()` a raw connection
(the drop throttle's hot path). Both fall back to EVAL, which caches the script again, when a
restarted or flushed Redis forgot it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import redis
from redis.connection import AbstractConnection
from redis.exceptions import NoScriptError


class RedisScript:
    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def run(self, client: redis.Redis, keys: list[str], args: list[Any]) -> Any:
        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return client.eval(self.source, len(keys), *keys, *args)

    def run_on_connection(
        self, connection: AbstractConnection, keys: list[str], args: list[Any]
    ) -> Any:
        try:
            connection.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
            return connection.read_response()
        except NoScriptError:
            connection.send_command("EVAL", self.source, len(keys), *keys, *args)
            return connection.read_response()
