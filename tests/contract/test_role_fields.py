"""Least privilege, proven across services (#11): for every personal route of every service, the
exact fields each role receives, written out here by hand (not derived from the services' code),
so that a field added to a view reaches no role until this contract says so.

Auditors receive metadata only (ids, states, dates, who acted, centre and unit): never names,
birth dates, documents, household members, vulnerabilities, medical data or free text. Roles a
route is not for get a 403. Runs the three service APIs on the real SecantusDB.
"""

from __future__ import annotations

import pytest

from tests.contract.role_fields_support import FORBIDDEN, World, flatten


@pytest.fixture(scope="module")
def world(mongo_url: str) -> World:
    return World(mongo_url)


# The exact field paths each reader gets (written out by hand; reviewed against DESIGN §1).
STAY_HOLDER = {
    "admitted_at",
    "admitted_by",
    "age_band",
    "alerts[]",
    "centre_id",
    "due_on",
    "entry_examination_missing",
    "entry_medical.examined_by",
    "entry_medical.examined_on",
    "entry_medical.fit_for_detention",
    "entry_medical.notes",
    "extensions[]",
    "history[].at",
    "history[].by",
    "history[].centre_id",
    "history[].state",
    "history[].unit_id",
    "id",
    "legal_basis.court",
    "legal_basis.decided_on",
    "legal_basis.decision_ref",
    "legal_basis.kind",
    "legal_basis.valid_until",
    "legal_end",
    "nationality",
    "next_review_on",
    "person.birth_date",
    "person.family_name",
    "person.given_name",
    "person.nationality",
    "person.sex",
    "person_ref",
    "planned_release_on",
    "release_reason",
    "released_at",
    "sex",
    "status",
    "unit_id",
    "version",
    "vulnerabilities[]",
}
STAY_AUDITOR = {
    "admitted_at",
    "admitted_by",
    "centre_id",
    "due_on",
    "history[].at",
    "history[].by",
    "history[].centre_id",
    "history[].state",
    "history[].unit_id",
    "id",
    "legal_basis.kind",
    "legal_end",
    "next_review_on",
    "person_ref",
    "planned_release_on",
    "release_reason",
    "released_at",
    "status",
    "unit_id",
    "version",
}
# Every legal figure carries its source (agreement, article, paragraph, verified): metadata, for
# all.
SOURCE = {
    "source.agreement",
    "source.article",
    "source.note",
    "source.paragraph",
    "source.verified",
}
SOURCED_DEADLINES = {f"deadlines[].{p}" for p in SOURCE} | {
    "deadlines[].unverified",
    "deadlines[].extensions[]",
}
SUFFICIENCY = {"evidence_sufficiency.indicator"} | {f"evidence_sufficiency.{p}" for p in SOURCE}
SOURCED_EVIDENCE = {f"evidence[].{p}" for p in SOURCE} | SUFFICIENCY
# Replies are dated (the requested state's date and the date it reached the officer): officers only.
DATED_REPLIES = {
    "history[].received_on",
    "history[].replied_on",
    "info_requested_on",
    "info_supplied_on",
    "reply.received_on",
    "reply.replied_on",
    "deemed_acceptance_reversed",
}
REQUEST_OFFICER = (
    {
        "apprehended_on",
        "category",
        "created_at",
        "deadlines[].amount",
        "deadlines[].calendar",
        "deadlines[].deemed_acceptance",
        "deadlines[].due_on",
        "deadlines[].extension_ceiling_on",
        "deadlines[].kind",
        "deadlines[].missed_notified",
        "deadlines[].rule_version",
        "deadlines[].start_on",
        "deadlines[].status",
        "deadlines[].unit",
        "decided_on",
        "direction",
        "evidence[].id",
        "evidence[].kind",
        "evidence[].of",
        "evidence[].reference",
        "evidence[].type",
        "evidence_sufficiency.hint",
        "evidence_sufficiency.of",
        "history[].action",
        "history[].at",
        "history[].by",
        "history[].motivation",
        "history[].role",
        "history[].state",
        "id",
        "learned_on",
        "location.centre_id",
        "location.held",
        "location.release_reason",
        "location.released_at",
        "location.since",
        "location.unit_id",
        "member_state",
        "particulars.birth_date",
        "particulars.documents[].issued_by",
        "particulars.documents[].number",
        "particulars.documents[].type",
        "particulars.family_name",
        "particulars.given_names",
        "particulars.nationality",
        "particulars.sex",
        "person_ref",
        "procedure",
        "received_on",
        "rejection",
        "state",
        "transfer.border_crossing_point",
        "transfer.means",
        "transfer.scheduled_for",
        "transfer.transferred_on",
        "travel_document.kind",
        "updated_at",
        "version",
        "voluntary_return",
        "voluntary_return_offered",
        "withdrawal",
    }
    | SOURCED_DEADLINES
    | SOURCED_EVIDENCE
    | DATED_REPLIES
    | {"agreement"}
)
REQUEST_AUDITOR = (
    {
        "apprehended_on",
        "category",
        "created_at",
        "deadlines[].amount",
        "deadlines[].calendar",
        "deadlines[].deemed_acceptance",
        "deadlines[].due_on",
        "deadlines[].extension_ceiling_on",
        "deadlines[].kind",
        "deadlines[].missed_notified",
        "deadlines[].rule_version",
        "deadlines[].start_on",
        "deadlines[].status",
        "deadlines[].unit",
        "decided_on",
        "direction",
        "evidence[].id",
        "evidence[].kind",
        "evidence[].of",
        "evidence[].type",
        "evidence_sufficiency.hint",
        "evidence_sufficiency.of",
        "history[].action",
        "history[].at",
        "history[].by",
        "history[].role",
        "history[].state",
        "id",
        "learned_on",
        "location.centre_id",
        "location.held",
        "location.release_reason",
        "location.released_at",
        "location.since",
        "location.unit_id",
        "member_state",
        "person_ref",
        "procedure",
        "received_on",
        "rejection",
        "state",
        "transfer.means",
        "transfer.scheduled_for",
        "transfer.transferred_on",
        "travel_document.kind",
        "updated_at",
        "version",
        "voluntary_return",
        "voluntary_return_offered",
        "withdrawal",
    }
    | SOURCED_DEADLINES
    | SUFFICIENCY
)
TRANSIT_OFFICER = (
    {
        "approval.note",
        "border_crossing_point",
        "completion",
        "created_at",
        "deadlines[].amount",
        "deadlines[].calendar",
        "deadlines[].deemed_acceptance",
        "deadlines[].due_on",
        "deadlines[].extension_ceiling_on",
        "deadlines[].kind",
        "deadlines[].missed_notified",
        "deadlines[].rule_version",
        "deadlines[].start_on",
        "deadlines[].status",
        "deadlines[].unit",
        "decided_on",
        "direction",
        "escorts.agency",
        "escorts.count",
        "history[].action",
        "history[].at",
        "history[].by",
        "history[].reason",
        "history[].role",
        "history[].state",
        "id",
        "location.centre_id",
        "location.held",
        "location.release_reason",
        "location.released_at",
        "location.since",
        "location.unit_id",
        "means",
        "member_state",
        "note",
        "particulars.birth_date",
        "particulars.documents[].issued_by",
        "particulars.documents[].number",
        "particulars.documents[].type",
        "particulars.family_name",
        "particulars.given_names",
        "particulars.nationality",
        "particulars.sex",
        "person_ref",
        "received_on",
        "refusal",
        "revocation.explanation",
        "revocation.reason",
        "route[]",
        "state",
        "transit_at",
        "updated_at",
        "version",
        "withdrawal",
    }
    | SOURCED_DEADLINES
    | {"agreement"}
)
TRANSIT_AUDITOR = {
    "approval",
    "border_crossing_point",
    "completion",
    "created_at",
    "deadlines[].amount",
    "deadlines[].calendar",
    "deadlines[].deemed_acceptance",
    "deadlines[].due_on",
    "deadlines[].extension_ceiling_on",
    "deadlines[].kind",
    "deadlines[].missed_notified",
    "deadlines[].rule_version",
    "deadlines[].start_on",
    "deadlines[].status",
    "deadlines[].unit",
    "decided_on",
    "direction",
    "escorts.count",
    "history[].action",
    "history[].at",
    "history[].by",
    "history[].role",
    "history[].state",
    "id",
    "location.centre_id",
    "location.held",
    "location.release_reason",
    "location.released_at",
    "location.since",
    "location.unit_id",
    "means",
    "member_state",
    "person_ref",
    "received_on",
    "refusal",
    "revocation.reason",
    "state",
    "transit_at",
    "updated_at",
    "version",
    "withdrawal",
} | SOURCED_DEADLINES
WORKLIST = (
    {
        "items[].deadline",
        "items[].direction",
        "items[].due_on",
        "items[].member_state",
        "items[].overdue",
        "items[].person_ref",
        "items[].request_id",
        "items[].resource",
        "items[].rule_amount",
        "items[].rule_unit",
        "items[].rule_version",
        "items[].state",
        "items[].time_left",
        "items[].time_left_unit",
        "next_cursor",
        "today",
    }
    | {f"items[].{p}" for p in SOURCE}
    | {"items[].unverified"}
)
LOCATION = {
    "centre_id",
    "held",
    "person_ref",
    "release_reason",
    "released_at",
    "since",
    "stay_id",
    "unit_id",
}
CASE_WORKER = {
    "allowed_actions[]",
    "arrival.arrived_at",
    "arrival.confirmed_by",
    "booking.booked_at",
    "booking.booked_by",
    "booking.departure_date",
    "booking.escort",
    "booking.escort_details",
    "booking.medical_needs",
    "booking.route",
    "classification",
    "consent.declared_on",
    "consent.interpreter_language",
    "consent.language",
    "consent.recorded_at",
    "consent.recorded_by",
    "consent_to_share.agreed_on",
    "consent_to_share.interpreter_language",
    "consent_to_share.language",
    "consent_to_share.recorded_at",
    "consent_to_share.recorded_by",
    "counselling_sessions[].counsellor",
    "counselling_sessions[].held_on",
    "counselling_sessions[].interpreter_language",
    "counselling_sessions[].notes",
    "counselling_sessions[].recorded_at",
    "counselling_sessions[].recorded_by",
    "created_at",
    "departure.confirmed_by",
    "departure.departed_at",
    "destination_country",
    "documents[].expires_on",
    "documents[].kind",
    "documents[].number",
    "eligibility.decided_by",
    "eligibility.decided_on",
    "eligibility.decision",
    "eligibility.reasons[]",
    "forced_route_open",
    "forced_routes[]",
    "history[].action",
    "history[].at",
    "history[].by",
    "history[].stage",
    "household[].birth_date",
    "household[].family_name",
    "household[].given_name",
    "household[].relationship",
    "id",
    "languages[]",
    "nationality",
    "next_action",
    "next_action_due",
    "particulars.birth_date",
    "particulars.family_name",
    "particulars.given_name",
    "particulars.nationality",
    "particulars.sex",
    "person_ref",
    "referral.centre_id",
    "referral.location_prefilled",
    "referral.organisation",
    "referral.referred_at",
    "referral.referred_by",
    "referral.source",
    "referral.stay_id",
    "referral.unit_id",
    "registered_by",
    "reintegration.monitoring[].due_on",
    "reintegration.monitoring[].month",
    "reintegration.monitoring[].observations",
    "reintegration.monitoring[].score",
    "reintegration.monitoring[].scores",
    "reintegration.monitoring[].scores.economic",
    "reintegration.monitoring[].scores.psychosocial",
    "reintegration.monitoring[].scores.social",
    "reintegration.monitoring[].visited_by",
    "reintegration.monitoring[].visited_on",
    "reintegration.monitoring[].weights_version",
    "reintegration.plan.cash_grant.amount",
    "reintegration.plan.cash_grant.currency",
    "reintegration.plan.in_kind[].description",
    "reintegration.plan.in_kind[].type",
    "reintegration.plan.in_kind[].value.amount",
    "reintegration.plan.in_kind[].value.currency",
    "reintegration.plan.planned_at",
    "reintegration.plan.planned_by",
    "stage",
    "stage_since",
    "travel_document.kind",
    "travel_document.reference",
    "travel_document.status",
    "travel_document.updated_at",
    "travel_document.updated_by",
    "updated_at",
    "version",
    "vulnerabilities[]",
}
CASE_AUDITOR = {
    "allowed_actions[]",
    "arrival.arrived_at",
    "arrival.confirmed_by",
    "booking.booked_at",
    "booking.booked_by",
    "booking.departure_date",
    "consent.declared_on",
    "consent.recorded_at",
    "consent.recorded_by",
    "consent_to_share.agreed_on",
    "consent_to_share.recorded_at",
    "consent_to_share.recorded_by",
    "counselling_sessions[].held_on",
    "counselling_sessions[].recorded_at",
    "counselling_sessions[].recorded_by",
    "created_at",
    "departure.confirmed_by",
    "departure.departed_at",
    "eligibility.decided_by",
    "eligibility.decided_on",
    "eligibility.decision",
    "forced_route_open",
    "forced_routes[]",
    "history[].action",
    "history[].at",
    "history[].by",
    "history[].stage",
    "id",
    "next_action",
    "next_action_due",
    "person_ref",
    "referral.centre_id",
    "referral.location_prefilled",
    "referral.referred_at",
    "referral.referred_by",
    "referral.source",
    "referral.stay_id",
    "referral.unit_id",
    "registered_by",
    "reintegration.monitoring[].due_on",
    "reintegration.monitoring[].month",
    "reintegration.monitoring[].visited_by",
    "reintegration.monitoring[].visited_on",
    "stage",
    "stage_since",
    "travel_document.kind",
    "travel_document.status",
    "travel_document.updated_at",
    "travel_document.updated_by",
    "updated_at",
    "version",
}
PREFILL = {"centre_id", "person_ref", "since", "stay_id", "unit_id"}


def page(*records: set[str]) -> set[str]:
    """The same fields as list items, plus the cursor."""
    return {f"items[].{path}" for record in records for path in record} | {"next_cursor"}


# The second request was rejected (reasons with explanations); the first one carries no rejection.
REJECTED = {"rejection.reasons[].code", "transfer", "travel_document"}
ONLY = {"admin", "centre_staff", "liaison_officer", "avr_caseworker", "partner", "auditor"}


def expect(**by_role: set[str]) -> dict[str, set[str] | int]:
    """The fields per reading role; every other role is refused."""
    return {role: by_role.get(role, FORBIDDEN) for role in ONLY}


CONTRACT: dict[tuple[str, str], dict[str, set[str] | int]] = {
    ("detention", "/stays/{stay}"): expect(
        admin=STAY_HOLDER, centre_staff=STAY_HOLDER, auditor=STAY_AUDITOR
    ),
    ("detention", "/stays?person_ref={person}"): expect(
        admin=page(STAY_HOLDER), centre_staff=page(STAY_HOLDER), auditor=page(STAY_AUDITOR)
    ),
    ("readmission", "/requests/{request}"): expect(
        admin=REQUEST_OFFICER, liaison_officer=REQUEST_OFFICER, auditor=REQUEST_AUDITOR
    ),
    ("readmission", "/requests?person_ref={person}"): expect(
        admin=page(REQUEST_OFFICER, REJECTED | {"rejection.reasons[].explanation"}),
        liaison_officer=page(REQUEST_OFFICER, REJECTED | {"rejection.reasons[].explanation"}),
        auditor=page(REQUEST_AUDITOR, REJECTED),
    ),
    ("readmission", "/transits/{transit}"): expect(
        admin=TRANSIT_OFFICER, liaison_officer=TRANSIT_OFFICER, auditor=TRANSIT_AUDITOR
    ),
    ("readmission", "/transits?person_ref={person}"): expect(
        admin=page(TRANSIT_OFFICER),
        liaison_officer=page(TRANSIT_OFFICER),
        auditor=page(TRANSIT_AUDITOR),
    ),
    ("readmission", "/worklist"): expect(
        admin=WORKLIST, liaison_officer=WORKLIST, auditor=WORKLIST
    ),
    ("readmission", "/persons/{person}/location"): expect(
        admin=LOCATION, liaison_officer=LOCATION, auditor=LOCATION
    ),
    ("voluntary_return", "/cases/{case}"): expect(
        admin=CASE_WORKER, avr_caseworker=CASE_WORKER, auditor=CASE_AUDITOR
    ),
    ("voluntary_return", "/cases?person_ref={person}"): expect(
        admin=page(CASE_WORKER), avr_caseworker=page(CASE_WORKER), auditor=page(CASE_AUDITOR)
    ),
    ("voluntary_return", "/cases/needs-action?within_days=365"): expect(
        admin=page(CASE_WORKER), avr_caseworker=page(CASE_WORKER), auditor=page(CASE_AUDITOR)
    ),
    ("voluntary_return", "/persons/{person}/location"): expect(
        admin=LOCATION, avr_caseworker=LOCATION, auditor=LOCATION
    ),
    ("voluntary_return", "/referral-prefill/{person}"): expect(
        admin=PREFILL, avr_caseworker=PREFILL
    ),
}
# What must never reach an auditor, whatever the field is called.
PARTICULARS = (
    "Rezaei",
    "Sara",
    "1990-04-02",
    "2015-06-01",
    "K1234567",
    "torture_survivor",
    "serious_illness",
    "Scars",
    "Aliyeva",
    "insulin",
    "Worried",
    "Leyla",
    "No ticket",
    "Checks abroad",
    "Onward flight",
    "LP-2026",
    "TK-0099",
    "IRN",
    "male",
    "AVM",
)


@pytest.mark.parametrize("service,path", list(CONTRACT), ids=[f"{s}{p}" for s, p in CONTRACT])
def test_each_role_receives_exactly_its_fields(world: World, service: str, path: str) -> None:
    for role, expected in CONTRACT[(service, path)].items():
        response = world.get(service, path, role)
        if expected == FORBIDDEN:
            assert (
                response.status_code == 403 and response.mimetype == "application/problem+json"
            ), role
            continue
        assert response.status_code == 200, (role, response.get_json())
        got = flatten(response.get_json())
        assert got == expected, (
            role,
            "extra:",
            sorted(got - expected),
            "missing:",
            sorted(expected - got),
        )


@pytest.mark.parametrize("service,path", list(CONTRACT), ids=[f"{s}{p}" for s, p in CONTRACT])
def test_no_particular_reaches_an_auditor(world: World, service: str, path: str) -> None:
    response = world.get(service, path, "auditor")
    text = response.get_data(as_text=True)
    assert [secret for secret in PARTICULARS if secret in text] == []
    officer = "liaison_officer" if service == "readmission" else "admin"
    assert world.get(service, path, officer).status_code == 200  # the same data is there to leak
