"""What one webhook request carries: the body, the signature and the headers."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

EVENT_HEADER = "X-OSRS-Diff-Event"
DELIVERY_HEADER = "X-OSRS-Diff-Delivery"
TIMESTAMP_HEADER = "X-OSRS-Diff-Timestamp"
SIGNATURE_HEADER = "X-OSRS-Diff-Signature"


def json_body(*, name: str, delivery_id: str, occurred_at: datetime, data: dict) -> dict[str, Any]:
    """The `json` format: `{"event", "delivery_id", "occurred_at", "data"}`."""
    return {
        "event": name,
        "delivery_id": delivery_id,
        "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def encode(body: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "timestamp.body">` keyed with the webhook's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def headers(
    *, name: str, delivery_id: str, timestamp: str, body: bytes, secret: str
) -> dict[str, str]:
    """The request headers; the delivery id is the same on every retry of one delivery."""
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: name,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret=secret, timestamp=timestamp, body=body),
    }
