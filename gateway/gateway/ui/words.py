"""The words the services send as codes (stages, reasons, categories, problem types), in the
reader's language.

The services answer in codes (``court_order``, ``unit-full``) and English details; the UI shows
each code through the catalogue, and each problem by its ``type`` (with the service's own English
detail beside it when no translation says more). Unknown codes are shown as they are, readably.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gateway.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

CODES: dict[str, Any] = {
    # people and stays
    "male": _l("male"),
    "female": _l("female"),
    "other": _l("other"),
    "unknown": _l("unknown"),
    "court_order": _l("court order"),
    "voluntary_placement": _l("voluntary placement"),
    "asylum_applicant": _l("asylum applicant"),
    "separated_child": _l("separated child"),
    "trafficking_victim": _l("victim of trafficking"),
    "pregnant": _l("pregnant"),
    "disability": _l("disability"),
    "serious_illness": _l("serious illness"),
    "elderly": _l("elderly"),
    "torture_survivor": _l("survivor of torture"),
    "sogi": _l("sexual orientation or gender identity"),
    "accompanied_child": _l("accompanied child"),
    "removed": _l("removed"),
    "readmitted": _l("readmitted"),
    "voluntary_return": _l("voluntary return"),
    "released_by_court": _l("released by court"),
    "status_granted": _l("status granted"),
    "order_expired": _l("order expired"),
    "open": _l("open"),
    "closed": _l("closed"),
    "admitted": _l("admitted"),
    "transferred": _l("transferred"),
    "extended": _l("extended"),
    "reviewed": _l("reviewed"),
    "examined": _l("examined"),
    "released": _l("released"),
    "men": _l("men"),
    "women": _l("women"),
    "family": _l("family"),
    "vulnerable": _l("vulnerable"),
    "parent": _l("parent"),
    "guardian": _l("guardian"),
    "child": _l("child"),
    "spouse": _l("spouse"),
    "sibling": _l("sibling"),
    "other_relative": _l("other relative"),
    "yes": _l("yes"),
    "no": _l("no"),
    # voluntary return
    "referred": _l("referred"),
    "registered": _l("registered"),
    "counselled": _l("counselled"),
    "eligible": _l("eligible"),
    "ineligible": _l("ineligible"),
    "documents": _l("documents"),
    "travel_ready": _l("travel ready"),
    "booked": _l("booked"),
    "departed": _l("departed"),
    "arrived": _l("arrived"),
    "reintegration": _l("reintegration"),
    "monitoring": _l("monitoring"),
    "withdrawn": _l("withdrawn"),
    "no_show": _l("no show"),
    "detention": _l("detention"),
    "migrant_withdrew": _l("the migrant withdrew"),
    "not_started": _l("not started"),
    "requested": _l("requested"),
    "issued": _l("issued"),
    "valid": _l("valid"),
    "refused": _l("refused"),
    "expired": _l("expired"),
    "passport": _l("passport"),
    "laissez_passer": _l("laissez-passer"),
    "travel_document": _l("travel document"),
    "national_id": _l("national identity card"),
    "birth_certificate": _l("birth certificate"),
    "business": _l("business"),
    "training": _l("training"),
    "housing": _l("housing"),
    "medical": _l("medical"),
    "schooling": _l("schooling"),
    "completed": _l("completed"),
    "lost_contact": _l("contact lost"),
    "withdrawn_from_reintegration": _l("withdrew from reintegration"),
    "detention_centre": _l("detention centre"),
    "ngo": _l("NGO"),
    "embassy": _l("embassy"),
    "hotline": _l("hotline"),
    "self": _l("self-referral"),
    "counselling_due": _l("counselling due"),
    "documents_pending": _l("documents pending"),
    "booking_pending": _l("booking pending"),
    "monitoring_due": _l("monitoring due"),
    "voluntary-return": _l("voluntary return"),
    "readmission": _l("readmission"),
    # readmission
    "draft": _l("draft"),
    "submitted": _l("submitted"),
    "info_requested": _l("information requested"),
    "accepted": _l("accepted"),
    "deemed_accepted": _l("deemed accepted"),
    "rejected": _l("rejected"),
    "transfer_scheduled": _l("transfer scheduled"),
    "transfer_failed": _l("transfer failed"),
    "taken_back": _l("taken back"),
    "outgoing": _l("outgoing"),
    "incoming": _l("incoming"),
    "own_national": _l("own national"),
    "former_national": _l("former national"),
    "third_country_national": _l("third-country national"),
    "stateless": _l("stateless person"),
    "family_member": _l("family member"),
    "normal": _l("normal"),
    "accelerated": _l("accelerated"),
    "single": _l("single"),
    "married": _l("married"),
    "divorced": _l("divorced"),
    "widowed": _l("widowed"),
    "separated": _l("separated"),
    # readmission evidence (the agreement's annexes), replies, withdrawals and transfers
    "nationality": _l("nationality"),
    "third_country_conditions": _l("conditions for third-country nationals"),
    "identity_card": _l("identity card"),
    "citizenship_certificate": _l("citizenship certificate"),
    "driving_licence": _l("driving licence"),
    "seaman_book": _l("seaman's book"),
    "military_id": _l("military service book"),
    "residence_permit": _l("residence permit"),
    "visa": _l("visa"),
    "photocopy": _l("photocopy of a document"),
    "witness_statement": _l("witness statement"),
    "own_statement": _l("the person's own statement"),
    "language_test": _l("language test"),
    "travel_ticket": _l("travel ticket"),
    "entry_exit_stamp": _l("entry or exit stamp"),
    "hotel_bill": _l("hotel bill"),
    "eu_travel_document": _l("EU travel document"),
    "nationality_not_established": _l("nationality not established"),
    "third_country_conditions_not_met": _l("conditions for third-country nationals not met"),
    "insufficient_evidence": _l("insufficient evidence"),
    "submitted_late": _l("submitted late"),
    "person_not_identified": _l("person not identified"),
    "humanitarian": _l("humanitarian reasons"),
    "voluntary_departure": _l("voluntary departure"),
    "requesting_state_withdrew": _l("the requesting state withdrew"),
    "person_absconded": _l("the person absconded"),
    "duplicate": _l("duplicate"),
    "air": _l("air"),
    "land": _l("land"),
    "sea": _l("sea"),
    # transits (Annex 6)
    "approved": _l("approved"),
    "consent_revoked": _l("consent revoked"),
    "danger_of_persecution": _l("danger of persecution"),
    "criminal_prosecution": _l("criminal prosecution"),
    "public_order_or_security": _l("public order or security"),
    "onward_journey_not_assured": _l("onward journey not assured"),
    "admission_by_destination_not_assured": _l("admission by the destination not assured"),
    "facts_came_to_light": _l("facts came to light"),
    "route_changed": _l("route changed"),
    # deadlines and the law behind them
    "submit": _l("submission"),
    "reply": _l("reply"),
    "transfer": _l("transfer"),
    "take_back": _l("take-back"),
    "take_back_own_nationals": _l("take-back of own nationals"),
    "take_back_others": _l("take-back of others"),
    "transit_reply": _l("reply to a transit request"),
    "calendar_days": _l("calendar days"),
    "working_days": _l("working days"),
    "months": _l("months"),
    "office_closure": _l("office closure"),
    "moved_working_day": _l("moved working day"),
    "estimated_religious_holiday": _l("estimated religious holiday"),
    # audit records
    "read": _l("read"),
    "change": _l("change"),
    "denied": _l("denied"),
    "login": _l("signed in"),
    "login_failed": _l("sign-in failed"),
    "login_locked": _l("sign-in locked"),
    "login_rate_limited": _l("sign-in rate-limited"),
    "logout": _l("signed out"),
    "login_throttled": _l("sign-in throttled"),
    # roles
    "admin": _l("administrator"),
    "centre_staff": _l("centre staff"),
    "liaison_officer": _l("liaison officer"),
    "avr_caseworker": _l("AVRR caseworker"),
    "partner": _l("partner"),
    "auditor": _l("auditor"),
}

PROBLEMS: dict[str, Any] = {
    "unit-full": _l("This unit is full: it has no free place."),
    "rule-refused": _l("A rule does not allow this."),
    "wrong-stage": _l("This step is not possible at the case's current stage."),
    "validation": _l("Some fields are missing or not valid."),
    "conflict": _l("This conflicts with what is already recorded."),
    "precondition-failed": _l(
        "Someone else changed this record meanwhile. Reload the page and try again."
    ),
    "forbidden": _l("Your role does not allow this."),
    "not-found": _l("This was not found, or you may not see it."),
    "rate-limited": _l("Too many requests. Try again shortly."),
    "unavailable": _l("This part of Passage is not available right now."),
    "bad-gateway": _l("This part of Passage is not available right now."),
    "gateway-timeout": _l("This part of Passage is not available right now."),
    "database-unavailable": _l("This part of Passage is not available right now."),
    "saturated": _l("Passage is very busy right now. Try again in a moment."),
    "internal": _l(
        "Something went wrong in Passage. Try again; if it happens again, tell support."
    ),
    "error": _l("Something went wrong in Passage. Try again; if it happens again, tell support."),
    "malformed-request": _l("The form could not be read. Reload the page and try again."),
    "method-not-allowed": _l("The form could not be read. Reload the page and try again."),
    "unauthenticated": _l("Your session has ended. Sign in again."),
    "too-large": _l("What you sent is too large. Send fewer or smaller files."),
    "unsupported-media-type": _l("Only PDF, JPEG and PNG documents are accepted."),
    "precondition-required": _l(
        "Someone else changed this record meanwhile. Reload the page and try again."
    ),
    "idempotency-key-reused": _l("This was sent already with different contents."),
    "idempotency-key-in-flight": _l("This is still being processed. Try again in a moment."),
}

FIELD_MESSAGES: dict[str, Any] = {
    "Missing data for required field.": _l("Fill in this field."),
    "Not a valid date.": _l("Enter a date."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid number.": _l("Enter a number."),
    "Not a valid boolean.": _l("Choose yes or no."),
    "Field may not be null.": _l("Fill in this field."),
    "Not a valid datetime.": _l("Enter a date and time."),
    "Not an ISO 3166-1 alpha-3 code.": _l("Enter a three-letter country code, e.g. IRN."),
    # the gateway's password rules (gateway.auth.passwords.password_problem)
    f"The password must have at least {MIN_PASSWORD_LENGTH} characters.": _l(
        "The password must have at least %(count)s characters.", count=MIN_PASSWORD_LENGTH
    ),
    f"The password must have at most {MAX_PASSWORD_LENGTH} characters.": _l(
        "The password must have at most %(count)s characters.", count=MAX_PASSWORD_LENGTH
    ),
    "The password must not start or end with white space.": _l(
        "The password must not start or end with white space."
    ),
    "The password contains characters that are not text (unpaired surrogates).": _l(
        "The password contains characters that are not text."
    ),
    "This password is on a list of common and breached passwords. Choose another one.": _l(
        "This password is on a list of common and breached passwords. Choose another one."
    ),
}
# Messages whose end varies (the strength estimator's own warning): translated by their start.
FIELD_MESSAGE_STARTS: dict[str, Any] = {
    "This password is too easy to guess": _l(
        "This password is too easy to guess. A few uncommon words make a strong one."
    ),
}


def code(value: Any) -> str:
    """A code in the reader's language (unknown codes readably, as they are)."""
    if value is None or value == "":
        return ""
    found = CODES.get(str(value))
    return str(found) if found is not None else str(value).replace("_", " ")


def problem_slug(body: Any) -> str:
    kind = body.get("type", "") if isinstance(body, dict) else ""
    return str(kind).rsplit("/", 1)[-1] if isinstance(kind, str) else ""


def problem_headline(body: Any) -> str:
    """The problem's type in the reader's language (empty when the type has no translation)."""
    found = PROBLEMS.get(problem_slug(body))
    return str(found) if found is not None else ""


def field_message(detail: str) -> str:
    """A field's message: translated when it is one of the standard ones,
    else the service's words."""
    found = FIELD_MESSAGES.get(detail)
    if found is None:
        found = next((m for s, m in FIELD_MESSAGE_STARTS.items() if detail.startswith(s)), None)
    return str(found) if found is not None else detail


def general_messages(body: Any, detail: str) -> list[str]:
    """What to say above a refused form: the translated type, then the service's own detail."""
    messages = [m for m in (problem_headline(body), field_message(detail)) if m]
    return list(dict.fromkeys(messages)) or [gettext("This was not accepted.")]


FIELDS: dict[str, Any] = {
    "held_on": _l("Held on"),
    "counsellor": _l("Counsellor"),
    "interpreter_language": _l("Interpreter's language"),
    "notes": _l("Notes"),
    "decision": _l("Decision"),
    "reasons": _l("Reasons"),
    "decided_on": _l("Decided on"),
    "declaration_signed": _l("Declaration signed"),
    "declared_on": _l("Declared on"),
    "language": _l("Language"),
    "kind": _l("Kind"),
    "status": _l("Status"),
    "reference": _l("Reference"),
    "route": _l("Route"),
    "departure_date": _l("Departure date"),
    "destination_country": _l("Destination country"),
    "escort": _l("Escort"),
    "escort_details": _l("Escort details"),
    "medical_needs": _l("Medical needs"),
    "departed_at": _l("Departed at (UTC)"),
    "arrived_at": _l("Arrived at (UTC)"),
    "month": _l("Month"),
    "visited_on": _l("Visited on"),
    "scores.economic": _l("Score: economic"),
    "scores.social": _l("Score: social"),
    "scores.psychosocial": _l("Score: psychosocial"),
    "observations": _l("Observations"),
    "reason": _l("Reason"),
    "detail": _l("Detail"),
    "received_on": _l("Received on"),
    "note": _l("Note"),
    "reasons.0.code": _l("Reason"),
    "reasons.0.explanation": _l("Explanation"),
    "total_days": _l("Total days"),
    "motivation": _l("Motivation"),
    "of": _l("Evidence of"),
    "type": _l("Type"),
    "description": _l("Description"),
    "issued_on": _l("Issued on"),
    "scheduled_for": _l("Scheduled for"),
    "border_crossing_point": _l("Border crossing point"),
    "means": _l("Means of transport"),
    "escorts": _l("Escorts"),
    "transferred_on": _l("Transferred on"),
    "unit_id": _l("Unit"),
    "decision_ref": _l("Decision reference"),
    "court": _l("Court"),
    "valid_until": _l("Valid until"),
    "next_review_on": _l("Next review on"),
    "outcome": _l("Outcome"),
    "examined_on": _l("Examined on"),
    "examined_by": _l("Examined by"),
    "fit_for_detention": _l("Fit for detention"),
    "granted_on": _l("Granted on"),
    "exit_medical.examined_on": _l("Exit examination on"),
    "exit_medical.examined_by": _l("Examined by"),
    "particulars.given_name": _l("Given name"),
    "particulars.family_name": _l("Family name"),
    "particulars.birth_date": _l("Date of birth"),
    "particulars.sex": _l("Sex"),
    "particulars.nationality": _l("Nationality (ISO alpha-3, e.g. IRN)"),
    "languages": _l("Languages spoken"),
    "classification": _l("Classification (AVR, or AVM for vulnerable migrants)"),
    "documents.0.kind": _l("Identity document"),
    "documents.0.number": _l("Document number"),
    "documents.0.issued_by": _l("Issued by"),
    "documents.0.expires_on": _l("Expires on"),
    "cash_grant.amount": _l("Cash grant: amount"),
    "cash_grant.currency": _l("Cash grant: currency (e.g. EUR)"),
    "in_kind.0.type": _l("In-kind support"),
    "in_kind.0.description": _l("In-kind support: description"),
    "person_ref": _l("Person reference"),
    "source": _l("Referred by"),
    "organisation": _l("Referring organisation"),
    "centre_id": _l("Centre"),
    "username": _l("Username"),
    "places": _l("Places"),
    "until": _l("Until"),
    "replied_on": _l("Replied on (date of the requested state's reply)"),
    "due_on": _l("New due date"),
    "agreed_on": _l("Agreed on"),
    "withdrawn_on": _l("Withdrawn on"),
    # a new readmission request and its common application form (Annex 5)
    "direction": _l("Direction"),
    "member_state": _l("Member state (e.g. DE)"),
    "category": _l("Category"),
    "procedure": _l("Procedure"),
    "learned_on": _l("Irregular stay known since"),
    "apprehended_on": _l("Apprehended in the border region on (accelerated procedure)"),
    "voluntary_return_offered": _l("Voluntary return offered"),
    "particulars.given_names": _l("Given names"),
    "particulars.birth_place": _l("Place of birth"),
    "particulars.languages": _l("Languages (codes, e.g. az, ru)"),
    "particulars.last_address_in_requested_state": _l("Last address in the requested state"),
    "particulars.maiden_name": _l("Maiden name"),
    "particulars.father_name": _l("Father's name"),
    "particulars.mother_name": _l("Mother's name"),
    "particulars.civil_status": _l("Civil status"),
    "particulars.spouse.family_name": _l("Spouse: family name"),
    "particulars.spouse.given_names": _l("Spouse: given names"),
    "particulars.special_care_needs": _l(
        "Special care needed on transfer (illness, disability, age)"
    ),
    "particulars.health_statement": _l("Statement on health"),
    "particulars.dangerousness_statement": _l("Statement on possible dangerousness"),
    "particulars.interview_wanted": _l("Interview wanted"),
    "particulars.photo_reference": _l("Photograph reference"),
    "particulars.escorts.0.name": _l("Escort: name"),
    "particulars.escorts.0.rank": _l("Escort: rank"),
    "particulars.escorts.0.document": _l("Escort: service card or travel document"),
    # a transit request (Annex 6)
    "transit_at": _l("Transit at (UTC)"),
    "escorts.count": _l("Number of escorting officials"),
    "escorts.agency": _l("Escorts' agency"),
    "escorts.officers.0.name": _l("Escort: name"),
    "escorts.officers.0.rank": _l("Escort: rank"),
    "escorts.officers.0.document": _l("Escort: service card or travel document"),
    "explanation": _l("Explanation"),
}

REPORT_COLUMNS: dict[str, Any] = {
    "centre_id": _l("Centre"),
    "category": _l("Category"),
    "occupied_end_of_month": _l("Held at the end of the month"),
    "admissions": _l("Admissions"),
    "releases": _l("Releases"),
    "by_sex": _l("Sex"),
    "by_age_band": _l("Age band"),
    "by_nationality": _l("Nationality"),
    "capacity": _l("Capacity"),
    "average_occupied": _l("Average held"),
    "member_state": _l("Member state"),
    "requests_incoming": _l("Incoming requests"),
    "requests_outgoing": _l("Outgoing requests"),
    "accepted": _l("Accepted"),
    "deemed_accepted": _l("Deemed accepted"),
    "rejected": _l("Rejected"),
    "transferred": _l("Transferred"),
    "by_category": _l("Category"),
    "rejected_by_reason": _l("Rejected, by reason"),
    "median_days_to_reply": _l("Median days to reply"),
    "answered_within_limit_share": _l("Share answered in time"),
    "requests": _l("Requests"),
    "nationality": _l("Nationality"),
    "referrals": _l("Referrals"),
    "departures": _l("Departures"),
    "withdrawals": _l("Withdrawals"),
    "monitoring_completed": _l("Monitoring completed"),
    "by_referral_source": _l("Referred by"),
    "by_stage": _l("Stage"),
    "vulnerability": _l("Vulnerability"),
    "median_days_referral_to_departure": _l("Median days from referral to departure"),
    "mean_sustainability_score": _l("Mean sustainability score"),
}


def column_label(name: str) -> str:
    """A report column (``by_sex.male``) in the reader's language: the breakdown, then its value."""
    head, _, value = name.partition(".")
    found = REPORT_COLUMNS.get(head) or FIELDS.get(head)
    label = str(found) if found is not None else head.replace("_", " ").capitalize()
    return f"{label}: {code(value)}" if value else label


def field_label(name: str) -> str:
    """A form field's label in the reader's language."""
    found = FIELDS.get(name)
    return str(found) if found is not None else name.replace("_", " ").capitalize()


# The sign-in page's messages (gateway.ui.pages_session), marked here so they reach the catalogue.
SIGN_IN = (
    _l("The username or password is not correct."),
    _l("Enter your username and password."),
    _l("Signing in is unavailable right now. Try again shortly."),
    _l("Too many failed sign-in attempts for this username. Try again later."),
    _l(
        "A username is 3-64 characters: a lower-case letter, then letters, digits, '.', '_' or '-'."
    ),
)
