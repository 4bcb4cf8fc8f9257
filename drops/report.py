"""`POST /drops` below its two interfaces (the fast-path middleware and the DRF view).

Both validate the body their own way, then call `drop_report_submit()`: record the drop
(`services.drop_report`), count the outcome in the `osrs_diff_drops_reported_total` counter and
shape the PartyTime answer.
"""

from __future__ import annotations

from rest_framework import status

from drops import services
from osrs_diff.metrics import DROPS_REPORTED

#: The URL pattern name of `POST /drops` (the fast path answers only while it is routed).
DROP_REPORT_ROUTE = "drop-report"
#: Its throttle scope (`DROPS_THROTTLE_RATE`), shared by the fast path and the view.
DROP_REPORT_THROTTLE_SCOPE = "drops"

# Service outcome -> the counter's `result` label.
_COUNTED = {"party_created": "accepted", "drop_added": "accepted", "ignored": "ignored"}


def drop_report_submit(**fields) -> tuple[int, dict]:
    """Record one validated drop report; the status and body `POST /drops` answers."""
    result = services.drop_report(**fields)
    DROPS_REPORTED.labels(result=_COUNTED.get(result.status, result.status)).inc()
    return drop_report_answer(result)


def drop_report_answer(result: services.DropResult) -> tuple[int, dict]:
    """The status and body `POST /drops` answers for a reported drop (the PartyTime contract)."""
    if result.status == "ignored":
        return status.HTTP_200_OK, {
            "status": "ignored",
            "reason": "duplicate_detected",
            "party_id": result.party_id,
            "message": "Drop ignored - likely duplicate "
            f"(last drop was {result.duplicate_age_seconds:.3f}s ago)",
        }
    if result.status == "party_created":
        message = f"New drop party created on world {result.world}"
    else:
        message = f"Drop added to existing party on world {result.world}"
    return status.HTTP_201_CREATED, {
        "status": result.status,
        "party_id": result.party_id,
        "world": result.world,
        "total_drops": result.total_drops,
        "avg_drop_value": result.avg_drop_value,
        "message": message,
    }
