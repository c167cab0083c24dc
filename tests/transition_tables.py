"""The state machines as DESIGN §3.2 and §3.3 write them, copied out by hand (no tests of its own).

These tables are the expectation; they never read the production tables they check
(readmission.domain.requests.TRANSITIONS, readmission.domain.transits.TRANSITIONS,
voluntary_return.domain.stages.MOVES). A forbidden edge added to the code therefore makes the
"every other pair is refused" tests fail instead of silently joining the allowed set.
Action names are the code's (the HTTP paths and the domain functions use them).
"""

from __future__ import annotations

# --- readmission requests (DESIGN §3.2) ---------------------------------------------------------
# draft → submitted → (info_requested ↔ submitted) → accepted | deemed_accepted | rejected |
# withdrawn,
# then transfer_scheduled → transferred → closed, or transfer_failed; taken_back after a wrongful
# readmission. (state, action) → the state it leads to.
REQUEST_STATES = (
    "draft",
    "submitted",
    "info_requested",
    "accepted",
    "deemed_accepted",
    "rejected",
    "withdrawn",
    "transfer_scheduled",
    "transferred",
    "closed",
    "transfer_failed",
    "taken_back",
)
# Withdrawal: the requesting state may withdraw while the person has not been moved (DESIGN §4: a
# voluntary departure "withdraws the pending request", whichever pre-transfer state it is in).
_BEFORE_TRANSFER = (
    "draft",
    "submitted",
    "info_requested",
    "accepted",
    "deemed_accepted",
    "transfer_scheduled",
)
REQUEST_MOVES: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("info_requested", "submit"): "submitted",  # the information asked for is supplied
    ("submitted", "request_info"): "info_requested",
    ("submitted", "accept"): "accepted",
    ("info_requested", "accept"): "accepted",
    ("submitted", "reject"): "rejected",
    ("info_requested", "reject"): "rejected",
    ("submitted", "deem_accept"): "deemed_accepted",  # the clock's alone: no reply in time
    ("info_requested", "deem_accept"): "deemed_accepted",
    **{(state, "withdraw"): "withdrawn" for state in _BEFORE_TRANSFER},
    ("accepted", "schedule_transfer"): "transfer_scheduled",
    ("deemed_accepted", "schedule_transfer"): "transfer_scheduled",
    (
        "transfer_failed",
        "schedule_transfer",
    ): "transfer_scheduled",  # a new attempt within the (extended) window
    ("transfer_scheduled", "complete_transfer"): "transferred",
    ("transfer_scheduled", "fail_transfer"): "transfer_failed",
    ("transferred", "close"): "closed",
    ("transfer_failed", "close"): "closed",
    (
        "transferred",
        "take_back",
    ): "taken_back",  # a wrongful readmission, within the take-back window
    ("closed", "take_back"): "taken_back",
    # Records that do not move the request: the state stays.
    ("submitted", "extend"): "submitted",  # extension of the reply limit on motivated request
    ("info_requested", "extend"): "info_requested",
    ("draft", "add_evidence"): "draft",
    ("submitted", "add_evidence"): "submitted",
    ("info_requested", "add_evidence"): "info_requested",
    (
        "accepted",
        "record_travel_document",
    ): "accepted",  # travel document within 5 working days of acceptance
    ("deemed_accepted", "record_travel_document"): "deemed_accepted",
    ("transfer_scheduled", "record_travel_document"): "transfer_scheduled",
    ("transfer_failed", "record_travel_document"): "transfer_failed",
    # Extensions for legal or practical obstacles (DESIGN §3.2): the submission limit before
    # submission, the transfer limit from the (deemed) acceptance until the person is moved.
    ("draft", "extend_submission"): "draft",
    **{
        (state, "extend_transfer"): state
        for state in ("accepted", "deemed_accepted", "transfer_scheduled", "transfer_failed")
    },
}
REQUEST_ACTIONS = (
    "submit",
    "request_info",
    "accept",
    "reject",
    "deem_accept",
    "withdraw",
    "schedule_transfer",
    "complete_transfer",
    "fail_transfer",
    "close",
    "take_back",
    "extend",
    "add_evidence",
    "record_travel_document",
    "extend_submission",
    "extend_transfer",
)
# Reversal edge (legal-core branch): a reply dated within the limit but entered after the clock
# deemed the request accepted moves it deemed_accepted → accepted | rejected | info_requested
# (DESIGN §3.2 "replies are dated"). Whether the edge is open depends on the reply's date, not on
# the state alone, so these pairs are left out of the state-only assertions here and tested with
# dated replies in tests/integration/test_readmission_legal_core.py and test_readmission_domain.py.
REQUEST_REVERSAL_EDGES: frozenset[tuple[str, str]] = frozenset(
    {
        ("deemed_accepted", "accept"),
        ("deemed_accepted", "reject"),
        ("deemed_accepted", "request_info"),
    }
)

# --- transit requests (DESIGN §3.2, Annex 6; the agreements' transit article) --------------------
# submitted → approved | refused | withdrawn; an approval may be revoked (consent can be revoked)
# until the transit is completed.
TRANSIT_STATES = ("submitted", "approved", "refused", "consent_revoked", "completed", "withdrawn")
TRANSIT_ACTIONS = ("approve", "refuse", "withdraw", "revoke_consent", "complete")
TRANSIT_MOVES: dict[tuple[str, str], str] = {
    ("submitted", "approve"): "approved",
    ("submitted", "refuse"): "refused",
    ("submitted", "withdraw"): "withdrawn",
    ("approved", "revoke_consent"): "consent_revoked",
    ("approved", "complete"): "completed",
}

# --- voluntary return cases (DESIGN §3.3) --------------------------------------------------------
# referred → registered → counselled → eligible | ineligible → documents → travel_ready → booked →
# departed → arrived → reintegration → monitoring → closed; withdrawn and no_show from any stage
# before departed. Targets below assume an "eligible" decision and an "issued" travel document.
CASE_STAGES = (
    "referred",
    "registered",
    "counselled",
    "eligible",
    "ineligible",
    "documents",
    "travel_ready",
    "booked",
    "departed",
    "arrived",
    "reintegration",
    "monitoring",
    "closed",
    "withdrawn",
    "no_show",
)
CASE_ACTIONS = (
    "register",
    "record_counselling",
    "decide_eligibility",
    "record_consent",
    "record_travel_document",
    "book_travel",
    "confirm_departure",
    "confirm_arrival",
    "plan_reintegration",
    "record_monitoring_visit",
    "close",
    "withdraw",
    "record_no_show",
    "record_consent_to_share",
    "withdraw_consent_to_share",
)
_BEFORE_DEPARTURE = (
    "referred",
    "registered",
    "counselled",
    "eligible",
    "ineligible",
    "documents",
    "travel_ready",
    "booked",
)
_STILL_OPEN = (*_BEFORE_DEPARTURE, "departed", "arrived", "reintegration", "monitoring")
CASE_MOVES: dict[tuple[str, str], str] = {
    ("referred", "register"): "registered",
    ("registered", "record_counselling"): "counselled",
    # further counselling sessions until departure keep the stage
    **{
        (s, "record_counselling"): s
        for s in ("counselled", "eligible", "ineligible", "documents", "travel_ready", "booked")
    },
    ("counselled", "decide_eligibility"): "eligible",
    ("ineligible", "decide_eligibility"): "eligible",  # a reviewed decision
    # consent (the AVRR declaration) is recorded before booking; it does not move the case
    **{(s, "record_consent"): s for s in ("counselled", "eligible", "documents", "travel_ready")},
    ("eligible", "record_travel_document"): "travel_ready",
    ("documents", "record_travel_document"): "travel_ready",
    ("travel_ready", "record_travel_document"): "travel_ready",
    ("travel_ready", "book_travel"): "booked",
    ("booked", "book_travel"): "booked",  # a re-booking
    ("booked", "confirm_departure"): "departed",
    ("departed", "confirm_arrival"): "arrived",
    ("arrived", "plan_reintegration"): "reintegration",
    ("reintegration", "plan_reintegration"): "reintegration",
    ("monitoring", "plan_reintegration"): "monitoring",
    ("reintegration", "record_monitoring_visit"): "monitoring",
    ("monitoring", "record_monitoring_visit"): "monitoring",
    ("ineligible", "close"): "closed",
    ("arrived", "close"): "closed",
    ("reintegration", "close"): "closed",
    ("monitoring", "close"): "closed",
    **{(s, "withdraw"): "withdrawn" for s in _BEFORE_DEPARTURE},
    **{(s, "record_no_show"): "no_show" for s in _BEFORE_DEPARTURE},
    # consent to share with the authorities (DESIGN §3.3) is given or withdrawn while the case is
    # open, at any stage, and moves no stage
    **{
        (s, a): s
        for s in _STILL_OPEN
        for a in ("record_consent_to_share", "withdraw_consent_to_share")
    },
}


def pairs(
    states: tuple[str, ...],
    actions: tuple[str, ...],
    moves: dict[tuple[str, str], str],
    excluded: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(allowed, forbidden) (state, action) pairs over the whole grid, leaving ``excluded`` out of
    both."""
    grid = [(s, a) for s in states for a in actions if (s, a) not in excluded]
    return [p for p in grid if p in moves], [p for p in grid if p not in moves]
