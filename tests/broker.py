"""What tests sent to the broker: the messages waiting in a queue of the test Redis db."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Queued:
    task: str
    kwargs: dict[str, Any]
    headers: dict[str, Any]


def queued(queue: str) -> list[Queued]:
    """Messages waiting in `queue` (the Redis list kombu keeps for it), oldest first."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        raws = client.lrange(queue, 0, -1)
    finally:
        client.close()
    messages = []
    for raw in reversed(raws):  # kombu LPUSHes: the oldest is on the right
        message = json.loads(raw)
        body = message["body"]
        if message["properties"].get("body_encoding") == "base64":
            body = base64.b64decode(body)
        _args, kwargs, _embed = json.loads(body)
        headers = message["headers"]
        messages.append(Queued(task=headers["task"], kwargs=kwargs, headers=headers))
    return messages
