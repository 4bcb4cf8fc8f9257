"""What tests sent to the broker: the messages waiting in a queue of the test Redis db."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def broker_at(url: str, **transport_options: Any) -> Iterator[None]:
    """Point the Celery app at another broker for the block (e.g. a closed port: "down").

    Celery keeps the Django setting (`CELERY_BROKER_URL`) and its own key (`broker_url`) side by
    side and reads the setting first: both are changed, and restored after.
    """
    from celery import current_app

    conf = current_app.conf
    keys = {"broker_url": "CELERY_BROKER_URL"}
    values: dict[str, Any] = {"broker_url": url}
    if transport_options:
        keys["broker_transport_options"] = "CELERY_BROKER_TRANSPORT_OPTIONS"
        values["broker_transport_options"] = transport_options
    previous = {key: (conf.get(key), conf.get(setting)) for key, setting in keys.items()}
    try:
        for key, setting in keys.items():
            conf[key] = conf[setting] = values[key]
        yield
    finally:
        for key, setting in keys.items():
            conf[key], conf[setting] = previous[key]
