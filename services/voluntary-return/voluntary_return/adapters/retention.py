"""How long voluntary return keeps a case's personal data, and what it erases then.

    python -m voluntary_return.retention --dry-run   # JSON: what would go
    python -m voluntary_return.retention             # erase, store the erasure (ids)

The monthly statistics are a separate read model and are not touched; the case keeps its stage,
history (dates, actions, who acted), nationality, destination and referral source and centre.
"""

from __future__ import annotations

import sys

from passage.retention import Policy, RetentionRule
from passage.retention import main as retention_main
from voluntary_return.adapters.storage import CASES
from voluntary_return.config import load_settings
from voluntary_return.domain.stages import FINAL

CASE_RULE = RetentionRule(
    record_type="voluntary_return_case",
    keep_days=5 * 365,
    counted_from="the case reaching a final stage (closed, withdrawn, no-show)",
    source=(
        "IOM Data Protection Principles (IOM Data Protection Manual, 2010); Law of the Republic of "
        "Azerbaijan on Personal Data No 998-IIIQ of 11 May 2010"
    ),
    article="IOM Principle 9 (retention of personal data)",
    verified=False,
    version="2026-11-30",
    note=(
        "Neither text read fixes a period (only the manual's contents and summaries of the Law "
        "were read): 5 years after the case ended is a project default to confirm with IOM's data "
        "protection officer."
    ),
)
CASE_POLICY = Policy(
    rule=CASE_RULE,
    collection=CASES,
    ended_at="stage_since",
    ended={"stage": {"$in": list(FINAL)}},
    erase=(
        "particulars",
        "household",
        "documents",
        "languages",
        "vulnerabilities",
        "classification",
        "counselling_sessions",
        "referral.organisation",
        "eligibility.reasons",
        "consent.language",
        "consent.interpreter_language",
        "consent_to_share.language",
        "consent_to_share.interpreter_language",
        "travel_document.reference",
        "booking.route",
        "booking.escort_details",
        "booking.medical_needs",
        "withdrawal.detail",
        "closure.note",
        "reintegration",
        "forced_routes",
        "name_keys",
        "document_keys",
    ),
    keep=(
        "stage",
        "history",
        "nationality",
        "destination_country",
        "referral.source",
        "referral.centre_id",
        "eligibility.decision",
        "departure",
        "arrival",
        "closure.outcome",
        "monthly statistics",
    ),
)
POLICIES = (CASE_POLICY,)


def main(argv: list[str] | None = None) -> int:
    return retention_main("python -m voluntary_return.retention", load_settings, POLICIES, argv)


if __name__ == "__main__":
    sys.exit(main())
