"""What is waiting in the broker's queues: depth and the age of the oldest message per queue.

Wiring, so any layer may ask (the operations stats, the manual-fetch estimate); it reads the
broker directly and never raises when the broker is down.
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from celery import current_app

from osrs_diff.jsonsafe import loads_lenient
from osrs_diff.queues import SENT_AT_HEADER, message_age_seconds

logger = logging.getLogger(__name__)


def queue_depths(*, now: float | None = None) -> dict[str, Any]:
    """Messages waiting per broker queue and the age of the oldest (seconds, from its `sent_at`
    header); `available: false` (depths null) when the broker is down."""
    queues = sorted(
        {current_app.conf.task_default_queue or "celery", *current_app.amqp.queues.keys()}
    )
    url = str(current_app.conf.broker_url or "")
    now = time.time() if now is None else now
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            (depth, oldest), backend = _redis_depths(url, queues, now=now), "redis"
        elif url.startswith("filesystem://"):
            (depth, oldest), backend = _filesystem_depths(queues, now=now), "filesystem"
        else:
            return {"backend": url.split("://", 1)[0], "available": None, "depth": {}}
    except Exception as exc:  # the broker being down must never break the stats
        logger.warning("broker queue depth unavailable: %s", exc)
        return {
            "backend": url.split("://", 1)[0],
            "available": False,
            "depth": dict.fromkeys(queues),
            "oldest_age_seconds": dict.fromkeys(queues),
            "error": str(exc) or exc.__class__.__name__,
        }
    return {
        "backend": backend,
        "available": True,
        "depth": depth,
        "oldest_age_seconds": oldest,
    }


# kombu's Redis transport keeps one list per priority step: "celery", "celery\x06\x163", ...
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)
_Depths = tuple[dict[str, int], dict[str, float | None]]


def _redis_depths(url: str, queues: list[str], *, now: float) -> _Depths:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    lists = [
        queue if step == 0 else f"{queue}{_PRIORITY_SEPARATOR}{step}"
        for queue in queues
        for step in _PRIORITY_STEPS
    ]
    try:
        with client.pipeline(transaction=False) as pipe:
            for name in lists:
                pipe.llen(name)
                pipe.lindex(name, -1)  # kombu LPUSHes and BRPOPs: the oldest is on the right
            replies = pipe.execute()
    finally:
        client.close()
    steps = len(_PRIORITY_STEPS)
    depth: dict[str, int] = {}
    oldest: dict[str, float | None] = {}
    for index, queue in enumerate(queues):
        part = replies[2 * steps * index : 2 * steps * (index + 1)]
        depth[queue] = int(sum(part[0::2]))
        ages = [age for raw in part[1::2] if (age := _message_age(raw, now=now)) is not None]
        oldest[queue] = round(max(ages), 1) if ages else None
    return depth, oldest


def _message_age(raw: bytes | None, *, now: float) -> float | None:
    if not raw:
        return None
    message = loads_lenient(raw, invalid=None)
    headers = message.get("headers") if isinstance(message, dict) else None
    return message_age_seconds((headers or {}).get(SENT_AT_HEADER), now=now)


def _filesystem_depths(queues: list[str], *, now: float) -> _Depths:
    # kombu's filesystem transport writes one "<time>_<uuid>.<queue>.msg" file per message.
    folder = Path(current_app.conf.broker_transport_options["data_folder_in"])
    depth = dict.fromkeys(queues, 0)
    first: dict[str, float] = {}
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".msg"):
            queue = name[: -len(".msg")].split(".", 1)[-1]
            depth[queue] = depth.get(queue, 0) + 1
            with contextlib.suppress(OSError):  # consumed while we looked
                written = entry.stat().st_mtime
                first[queue] = min(first.get(queue, written), written)
    oldest = {
        queue: (round(max(0.0, now - first[queue]), 1) if queue in first else None)
        for queue in depth
    }
    return depth, oldest


def queue_depth(name: str) -> int | None:
    """Messages waiting in queue `name` (None when the broker cannot say)."""
    return queue_depths()["depth"].get(name)
