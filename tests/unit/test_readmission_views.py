"""Role → fields: what each reader of a request or transit receives. Annex 5 particulars (maiden
name,
parents, spouse, children, health, escorts) and Annex 6 escorting officials are personal data that
auditors never receive; every deadline carries its source and says when that source is
unverified."""

from __future__ import annotations

from typing import Any

import pytest

from passage.identity import Identity
from readmission.domain import views

PERSONAL = ("Karimi", "Maryam", "Omid", "Insulin", "Aliyev", "SC-1", "PH-77", "TK-0099")


def request_doc() -> dict[str, Any]:
    return {
        "_id": "r1",
        "version": 3,
        "agreement": "EU-AZ",
        "direction": "outgoing",
        "member_state": "DE",
        "person_ref": "AZ-1",
        "category": "own_national",
        "procedure": "normal",
        "state": "submitted",
        "particulars": {
            "family_name": "Rezaei",
            "maiden_name": "Karimi",
            "mother_name": "Maryam",
            "children": [{"family_name": "Rezaei", "given_names": "Omid"}],
            "special_care_needs": "Insulin",
            "photo_reference": "PH-77",
            "escorts": [{"name": "Officer Aliyev", "rank": "Captain", "document": "SC-1"}],
        },
        "evidence": [
            {
                "id": "e1",
                "of": "nationality",
                "type": "photocopy",
                "kind": "prima_facie",
                "reference": "TK-0099",
            }
        ],
        "deadlines": {
            "reply": {"kind": "reply", "due_on": "2026-11-17", "source": {"verified": False}},
            "transfer": {"kind": "transfer", "due_on": "2027-02-17", "source": {"verified": True}},
        },
        "history": [],
    }


def transit_doc() -> dict[str, Any]:
    return {
        "_id": "t1",
        "version": 1,
        "direction": "incoming",
        "member_state": "DE",
        "person_ref": "AZ-1",
        "state": "submitted",
        "particulars": {"family_name": "Rezaei", "maiden_name": "Karimi"},
        "escorts": {
            "count": 1,
            "agency": "Bundespolizei",
            "officers": [{"name": "Officer Aliyev", "rank": "Captain", "document": "SC-1"}],
        },
        "deadlines": {},
        "history": [],
    }


@pytest.mark.parametrize(
    "role,sees", [("admin", True), ("liaison_officer", True), ("auditor", False)]
)
def test_annex_5_and_6_particulars_only_for_roles_whose_job_needs_them(
    role: str, sees: bool
) -> None:
    caller = Identity(user_id="u", role=role, all_scopes=True)
    request = views.request_view(request_doc(), caller, None)
    transit = views.transit_view(transit_doc(), caller, None)
    shown = str(request) + str(transit)
    for value in PERSONAL:
        assert (value in shown) == sees, (role, value)
    # The escorting agency may name the transit's state: officers see it, auditors only the number
    # of escorts.
    assert transit["escorts"].get("agency") == ("Bundespolizei" if sees else None)
    assert transit["escorts"]["count"] == 1


def test_each_deadline_shows_its_source_and_flags_unverified_ones() -> None:
    view = views.request_view(request_doc(), Identity(user_id="u", role="auditor"), None)
    flags = {d["kind"]: d["unverified"] for d in view["deadlines"]}
    assert flags == {"reply": True, "transfer": False}
    assert view["evidence_sufficiency"]["indicator"] == "prima_facie_only"
