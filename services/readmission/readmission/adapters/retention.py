"""How long readmission keeps the personal data of a finished request or transit request, and
what it erases then.

    python -m readmission.retention --dry-run     # JSON: what would go
    python -m readmission.retention               # erase, store the erasure (ids only)

The statistics for the joint readmission committee are a separate read model and are not
touched; a request keeps its agreement, member state, direction, category, state, dates and
deadlines. Free text inside history entries (motivations, reasons) is not erased yet.
"""

from __future__ import annotations

import sys

from passage.retention import Policy, RetentionRule
from passage.retention import main as retention_main
from readmission.adapters.repository import REQUESTS, TRANSITS
from readmission.config import load_settings

_SOURCE = "Law of the Republic of Azerbaijan on Personal Data No 998-IIIQ of 11 May 2010"
_NOTE = (
    "The official text was not read (only secondary summaries: storage no longer than necessary); "
    "5 years after the request ended is a project default to confirm against the agreement's "
    "data protection article."
)
REQUEST_RULE = RetentionRule(
    record_type="readmission_request",
    keep_days=5 * 365,
    counted_from="the request ending (rejected, withdrawn, closed, transfer failed, taken back)",
    source=_SOURCE,
    article=None,
    verified=False,
    version="2026-11-30",
    note=_NOTE,
)
TRANSIT_RULE = RetentionRule(
    record_type="readmission_transit",
    keep_days=5 * 365,
    counted_from="the transit request ending (refused, consent revoked, completed, withdrawn)",
    source=_SOURCE,
    article=None,
    verified=False,
    version="2026-11-30",
    note=_NOTE,
)
POLICIES = (
    Policy(
        rule=REQUEST_RULE,
        collection=REQUESTS,
        ended_at="updated_at",
        ended={
            "state": {"$in": ["rejected", "withdrawn", "closed", "transfer_failed", "taken_back"]}
        },
        erase=(
            "particulars",
            "evidence",
            "rejection",
            "withdrawal.note",
            "travel_document.reference",
            "voluntary_return",
            "name_keys",
            "document_keys",
        ),
        keep=(
            "agreement",
            "member_state",
            "direction",
            "category",
            "procedure",
            "state",
            "deadlines",
            "history",
            "statistics",
        ),
    ),
    Policy(
        rule=TRANSIT_RULE,
        collection=TRANSITS,
        ended_at="updated_at",
        ended={"state": {"$in": ["refused", "consent_revoked", "completed", "withdrawn"]}},
        erase=(
            "particulars",
            "note",
            "approval",
            "refusal",
            "revocation.explanation",
            "withdrawal.note",
            "completion.note",
            "escorts.agency",
            "name_keys",
            "document_keys",
        ),
        keep=("member_state", "direction", "state", "route", "transit_at", "deadlines", "history"),
    ),
)


def main(argv: list[str] | None = None) -> int:
    return retention_main("python -m readmission.retention", load_settings, POLICIES, argv)


if __name__ == "__main__":
    sys.exit(main())
