"""Imported into the capacity benchmark's workers (`celery worker --include bench.capacity_probe`).

Records, for every task a worker starts, finishes or throws away, one JSON event on a Redis list
of the benchmark's private Redis (`BENCH_EVENTS_URL`): what ran, from which queue, when it was
sent (the `sent_at` header) and when it started, and a fetch's outcome status. Nothing here
changes what a task does; it is loaded only by bench/capacity.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any

from celery.signals import task_postrun, task_prerun, task_revoked

EVENTS_KEY = "bench:capacity:events"
_clients: dict[int, Any] = {}


def _client():
    """One Redis client per process (pool children are forked after this module is imported)."""
    url = os.environ.get("BENCH_EVENTS_URL")
    if not url:
        return None
    pid = os.getpid()
    if pid not in _clients:
        import redis

        _clients[pid] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    return _clients[pid]


def _push(event: dict[str, Any]) -> None:
    client = _client()
    if client is None:
        return
    with contextlib.suppress(Exception):  # a lost event must never fail the task
        client.rpush(EVENTS_KEY, json.dumps(event))


def _header(request: Any, name: str) -> Any:
    if request is None:
        return None
    return getattr(request, name, None) or (getattr(request, "headers", None) or {}).get(name)


def _queue(request: Any) -> str | None:
    info = getattr(request, "delivery_info", None) or {}
    return info.get("routing_key") or info.get("exchange") or None


@task_prerun.connect
def _started(task_id=None, task=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    _push(
        {
            "event": "started",
            "at": time.time(),
            "id": task_id,
            "task": getattr(task, "name", None),
            "queue": _queue(request),
            "sent_at": _header(request, "sent_at"),
            "periodic": bool(_header(request, "periodic_task_name")),
            "retries": getattr(request, "retries", 0),
        }
    )


@task_postrun.connect
def _finished(task_id=None, task=None, retval=None, state=None, **kwargs) -> None:
    status = retval.get("status") if isinstance(retval, dict) else None
    _push(
        {
            "event": "finished",
            "at": time.time(),
            "id": task_id,
            "task": getattr(task, "name", None),
            "state": state,
            "status": status,
            "reason": retval.get("reason") if isinstance(retval, dict) else None,
        }
    )


@task_revoked.connect
def _revoked(sender=None, request=None, terminated=None, expired=None, **kwargs) -> None:
    _push(
        {
            "event": "revoked",
            "at": time.time(),
            "id": getattr(request, "id", None),
            "task": getattr(sender, "name", None) or getattr(request, "task_name", None),
            "queue": _queue(request),
            "expired": bool(expired),
        }
    )
