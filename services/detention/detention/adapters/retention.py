"""How long detention keeps a stay's personal data after release, and what it erases then.

    python -m detention.retention --dry-run     # JSON: what would go
    python -m detention.retention               # erase, store the erasure (ids only)

The occupancy history is a separate read model and is not touched; the stay keeps its centre,
unit, dates, status, kind of legal basis, release reason, sex, nationality and age band.
"""

from __future__ import annotations

import sys

from detention.adapters.repository import STAYS
from detention.config import load_settings
from passage.retention import Policy, RetentionRule
from passage.retention import main as retention_main

STAY_RULE = RetentionRule(
    record_type="detention_stay",
    keep_days=5 * 365,
    counted_from="release from the centre",
    source="Law of the Republic of Azerbaijan on Personal Data No 998-IIIQ of 11 May 2010",
    article=None,
    verified=False,
    version="2026-11-30",
    note="The official text was not read (only secondary summaries: storage no longer than "
    "necessary); 5 years after release is a project default to confirm against the law on "
    "detention records.",
)
STAY_POLICY = Policy(
    rule=STAY_RULE,
    collection=STAYS,
    ended_at="released_at",
    ended={"status": "closed"},
    erase=(
        "person.given_name",
        "person.family_name",
        "person.birth_date",
        "legal_basis.decision_ref",
        "legal_basis.court",
        "minor_override",
        "entry_medical",
        "exit_medical",
        "extensions",
        "vulnerabilities",
        "alerts",
        "name_keys",
        "document_keys",
    ),
    keep=(
        "centre_id",
        "unit_id",
        "admitted_at",
        "released_at",
        "release_reason",
        "status",
        "legal_basis.kind",
        "sex",
        "nationality",
        "age_band",
        "history",
        "occupancy history",
    ),
)
POLICIES = (STAY_POLICY,)


def main(argv: list[str] | None = None) -> int:
    return retention_main("python -m detention.retention", load_settings, POLICIES, argv)


if __name__ == "__main__":
    sys.exit(main())
