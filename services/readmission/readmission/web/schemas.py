"""Readmission's HTTP schemas (marshmallow): the single source of request validation and OpenAPI.

Types are strict (no "15" for 15, dates only YYYY-MM-DD), every id and code is matched against a
pattern or a closed list, and unknown fields are refused, so no MongoDB operator reaches a query.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from passage.fields import StrictBoolean, StrictDate, StrictInteger, pattern, text
from passage.formats import MONTH, PERSON_REF
from readmission.domain import agreements, evidence
from readmission.domain import deadlines as dl
from readmission.domain import requests as rd
from readmission.domain.protocols import STATUSES

REQUEST_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.ASCII)
ALPHA3 = re.compile(r"^[A-Z]{3}$", re.ASCII)
SEXES = ("male", "female", "unknown")
DOCUMENT_TYPES = (
    "passport",
    "identity_card",
    "citizenship_certificate",
    "birth_certificate",
    "driving_licence",
    "seaman_book",
    "military_id",
    "laissez_passer",
    "residence_permit",
    "visa",
    "photocopy",
    "witness_statement",
    "own_statement",
    "language_test",
    "travel_ticket",
    "entry_exit_stamp",
    "hotel_bill",
    "other",
)
WITHDRAWAL_REASONS = (
    "voluntary_departure",
    "requesting_state_withdrew",
    "person_absconded",
    "duplicate",
    "other",
)
# Any state a request may name (ISO 3166-1 alpha-2); the agreement decides whether it binds that
# state.
STATE_CODE = re.compile(r"^[A-Z]{2}$")


def is_state(value: str) -> bool:
    """A two-letter country code whose working days the engine can count (XX, ZZ, … are not)."""
    return bool(STATE_CODE.fullmatch(value)) and dl.has_calendar(value)


def state_code(value: str) -> None:
    """Validator: refuse anything but a known country code."""
    if not is_state(value):
        raise ValidationError("Not a country code the agreements can name.")


member_state = fields.String(required=True, validate=state_code)
AGREEMENT = re.compile(r"^[A-Z]{2,3}-[A-Z]{2,3}$")
agreement = pattern(
    AGREEMENT,
    "an agreement code such as EU-AZ",
    load_default=agreements.EU_AZ,
    metadata={"description": "the agreement the request is made under (default EU-AZ)"},
)
CIVIL_STATUSES = ("single", "married", "divorced", "widowed", "separated", "unknown")


def _one_of(values: Any, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(values), **kwargs)


class DocumentSchema(Schema):
    type = _one_of(DOCUMENT_TYPES, required=True)
    number = text(40)
    issued_by = pattern(ALPHA3, "an ISO 3166-1 alpha-3 code")
    valid_until = StrictDate()


class RelativeSchema(Schema):
    family_name = text(100, required=True)
    given_names = text(100, required=True)
    birth_date = StrictDate()
    nationality = pattern(ALPHA3, "an ISO 3166-1 alpha-3 code", allow_none=True)


class EscortSchema(Schema):
    """An escorting official (Annexes 5 and 6): personal data, never shown to auditors."""

    name = text(200, required=True)
    rank = text(100)
    document = text(100, metadata={"description": "service card or travel document of the escort"})


class ParticularsSchema(Schema):
    """The common application form's particulars: personal data, kept in the request only."""

    family_name = text(100, required=True)
    given_names = text(100, required=True)
    other_names = fields.List(text(100), validate=validate.Length(max=10))
    birth_date = StrictDate()
    birth_place = text(100)
    sex = _one_of(SEXES)
    nationality = pattern(ALPHA3, "an ISO 3166-1 alpha-3 code", allow_none=True)
    languages = fields.List(
        pattern(r"^[a-z]{2,3}$", "a language code"), validate=validate.Length(max=10)
    )
    last_address_in_requested_state = text(300)
    documents = fields.List(fields.Nested(DocumentSchema), validate=validate.Length(max=20))
    # The rest of the common application form (Annex 5).
    maiden_name = text(100)
    father_name = text(200)
    mother_name = text(200)
    civil_status = _one_of(CIVIL_STATUSES)
    spouse = fields.Nested(RelativeSchema)
    children = fields.List(fields.Nested(RelativeSchema), validate=validate.Length(max=20))
    special_care_needs = text(
        1000, metadata={"description": "illness, disability, age: care needed on transfer"}
    )
    health_statement = text(1000)
    dangerousness_statement = text(
        1000, metadata={"description": "whether the person may be dangerous, and why"}
    )
    interview_wanted = StrictBoolean()
    photo_reference = text(100)
    escorts = fields.List(fields.Nested(EscortSchema), validate=validate.Length(max=20))


class EvidenceSchema(Schema):
    """An evidence item: what it should show and its document type; the annexes decide its class."""

    of = _one_of(evidence.EVIDENCE_OF, required=True)
    type = _one_of(DOCUMENT_TYPES, required=True)
    reference = text(60)
    description = text(500)


class RequestCreateSchema(Schema):
    agreement = agreement
    direction = _one_of(rd.DIRECTIONS, required=True)
    member_state = member_state
    person_ref = pattern(PERSON_REF, "a valid person_ref", required=True)
    category = _one_of(rd.CATEGORIES, required=True)
    procedure = _one_of(rd.PROCEDURES, required=True)
    learned_on = StrictDate(
        metadata={"description": "when the irregular stay became known (submit clock)"}
    )
    apprehended_on = StrictDate(
        metadata={"description": "accelerated procedure: apprehension in the border region"}
    )
    voluntary_return_offered = StrictBoolean(required=True)
    particulars = fields.Nested(ParticularsSchema, required=True)
    evidence = fields.List(
        fields.Nested(EvidenceSchema), load_default=list, validate=validate.Length(max=50)
    )


class NoteSchema(Schema):
    note = text(1000)


class SubmitSchema(NoteSchema):
    received_on = StrictDate(
        metadata={"description": "day the requested state received it (default: today)"}
    )


class ReplySchema(NoteSchema):
    """A reply as the requested state gave it: its date, and the day it reached the officer."""

    replied_on = StrictDate(
        required=True, metadata={"description": "the date the requested state gave the reply"}
    )
    received_on = StrictDate(
        metadata={"description": "the day the reply reached the officer (default: today)"}
    )
    reason = text(
        1000, metadata={"description": "required when the reply reverses a deemed acceptance"}
    )


class ReasonSchema(Schema):
    code = _one_of(rd.REJECTION_REASONS, required=True)
    explanation = text(1000, required=True)


class RejectSchema(ReplySchema):
    reasons = fields.List(
        fields.Nested(ReasonSchema), required=True, validate=validate.Length(1, 10)
    )


class ObstacleExtensionSchema(Schema):
    """A limit moved for as long as a legal or practical obstacle lasts (e.g. the person is in
    hospital)."""

    due_on = StrictDate(required=True, metadata={"description": "the new last day"})
    reason = text(1000, required=True)


class CalendarOverrideSchema(Schema):
    working = StrictBoolean(
        required=True, metadata={"description": "whether the day counts as a working day"}
    )
    kind = _one_of(
        ("office_closure", "moved_working_day", "estimated_religious_holiday", "other"),
        required=True,
    )
    reason = text(500, required=True)


class WithdrawSchema(NoteSchema):
    reason = _one_of(WITHDRAWAL_REASONS, required=True)


class ExtendSchema(Schema):
    total_days = StrictInteger(
        required=True,
        validate=validate.Range(1, 366),
        metadata={"description": "reply limit in calendar days from receipt, in total"},
    )
    motivation = text(2000, required=True)


class ScheduleSchema(NoteSchema):
    scheduled_for = StrictDate(required=True)
    border_crossing_point = text(100, required=True)
    means = _one_of(("air", "land", "sea"), required=True)
    escorts = StrictInteger(validate=validate.Range(0, 20))


class CompleteSchema(NoteSchema):
    transferred_on = StrictDate()


class ReasonTextSchema(Schema):
    reason = text(1000, required=True)


class TravelDocumentSchema(Schema):
    kind = _one_of(("passport", "laissez_passer", "eu_travel_document", "other"), required=True)
    issued_on = StrictDate()
    reference = text(60)


class PageQuerySchema(Schema):
    limit = fields.Integer(
        load_default=50, validate=validate.Range(1, 200)
    )  # query text: "50" is fine here
    cursor = pattern(r"^[A-Za-z0-9_=-]{1,200}$", "a valid cursor")


class RequestQuerySchema(PageQuerySchema):
    person_ref = pattern(PERSON_REF, "a valid person_ref")
    member_state = fields.String(validate=state_code)
    state = _one_of(rd.STATES)
    direction = _one_of(rd.DIRECTIONS)


class MonthQuerySchema(Schema):
    month = pattern(MONTH, "a month (YYYY-MM)", required=True)


class NoQuerySchema(Schema):
    """No query parameters: any given is a 422."""


class ContactSchema(Schema):
    role = text(100, required=True)
    office = text(200, required=True)
    phone = text(40)
    email = fields.Email()


class AuthoritiesSchema(Schema):
    own_nationals = fields.List(text(200), validate=validate.Length(max=10), load_default=list)
    third_country_nationals = fields.List(
        text(200), validate=validate.Length(max=10), load_default=list
    )


class ProtocolVersionSchema(Schema):
    effective_from = StrictDate(required=True)
    status = _one_of(STATUSES, required=True)
    competent_authorities = fields.Nested(AuthoritiesSchema, required=True)
    contacts = fields.List(
        fields.Nested(ContactSchema), validate=validate.Length(max=50), load_default=list
    )
    border_crossing_points = fields.List(
        text(100), validate=validate.Length(max=50), load_default=list
    )
    languages = fields.List(
        pattern(r"^[a-z]{2,3}$", "a language code"), validate=validate.Length(1, 10), required=True
    )
    consular_posts = fields.List(text(200), validate=validate.Length(max=50), load_default=list)


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode()


def decode_cursor(
    cursor: str | None, parts: int, patterns: tuple[re.Pattern[str], ...]
) -> tuple[str, ...] | None:
    """The cursor's parts, each checked against its pattern; ValidationError otherwise."""
    if not cursor:
        return None
    try:
        values = tuple(base64.urlsafe_b64decode(cursor.encode()).decode().split("|"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError("Not a cursor from this API.", "cursor") from None
    if len(values) != parts or not all(
        p.fullmatch(v) for p, v in zip(patterns, values, strict=False)
    ):
        raise ValidationError("Not a cursor from this API.", "cursor")
    return values


class SourceSchema(Schema):
    """Where a figure comes from; ``verified`` only when the official text was read."""

    article = text(100, required=True)
    paragraph = text(40)
    verified = StrictBoolean(required=True)
    note = text(300)


class NotBoundSchema(Schema):
    state = pattern(r"^[A-Z]{2}$", "a two-letter country code", required=True)
    reason = text(500, required=True)


class AgreementCreateSchema(Schema):
    code = pattern(AGREEMENT, "an agreement code such as NO-AZ", required=True)
    title = text(500, required=True)
    parties = fields.List(
        pattern(r"^[A-Z]{2}$", "a two-letter country code"),
        required=True,
        validate=validate.Length(1, 40),
    )
    not_bound = fields.List(
        fields.Nested(NotBoundSchema), load_default=list, validate=validate.Length(max=40)
    )
    in_force = StrictDate(required=True)
    source = fields.Nested(SourceSchema, required=True)


class LimitSchema(SourceSchema):
    amount = StrictInteger(required=True, validate=validate.Range(0, 400))
    unit = _one_of(("calendar_days", "working_days", "months"), required=True)


LimitsSchema = Schema.from_dict(
    {name: fields.Nested(LimitSchema, required=True) for name in dl.LIMIT_NAMES},
    name="Limits",
)


class RuleVersionSchema(Schema):
    """One version of an agreement's (or a protocol's) clocks, in force from its effective date."""

    version = pattern(r"^[a-z0-9][a-z0-9.-]{2,60}$", "a rule version name", required=True)
    protocol = pattern(r"^(\*|[A-Z]{2})$", "* or a two-letter country code", load_default="*")
    procedure = _one_of(rd.PROCEDURES, required=True)
    effective_from = StrictDate(required=True)
    limits = fields.Nested(LimitsSchema, required=True)
    extension_ceiling_days = StrictInteger(load_default=60, validate=validate.Range(0, 400))
    deemed_acceptance = StrictBoolean(required=True)
