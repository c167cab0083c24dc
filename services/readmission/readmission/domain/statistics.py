"""Monthly statistics for the joint readmission committee, from the per-month read model rows
(one per member state, kept up to date by the transitions). Stdlib only: no scan, no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import median
from typing import Any

COUNTERS = (
    "requests_incoming",
    "requests_outgoing",
    "accepted",
    "deemed_accepted",
    "rejected",
    "transferred",
)


def row(doc: Mapping[str, Any]) -> dict[str, Any]:
    """One member state's month as the reports expect it (raw counts; suppression is the
    gateway's)."""
    replies_due = int(doc.get("replies_due", 0))
    reply_days = list(doc.get("reply_days") or [])
    within = int(doc.get("answered_within_limit", 0))
    return {
        "member_state": doc["member_state"],
        **{name: int(doc.get(name, 0)) for name in COUNTERS},
        "by_category": {k: int(v) for k, v in sorted((doc.get("by_category") or {}).items())},
        "rejected_by_reason": {
            k: int(v) for k, v in sorted((doc.get("rejected_by_reason") or {}).items())
        },
        "median_days_to_reply": float(median(reply_days)) if reply_days else None,
        # Deemed acceptances count as replies due that were not answered in time.
        "answered_within_limit_share": round(within / replies_due, 4) if replies_due else None,
        # The share's base: the gateway withholds a share over a small base.
        "replies_due": replies_due,
    }
