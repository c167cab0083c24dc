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

from readmission import requests_domain as rd
from readmission.protocols import MEMBER_STATES, STATUSES

REQUEST_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.ASCII)
ALPHA3 = re.compile(r"^[A-Z]{3}$", re.ASCII)
SEXES = ("male", "female", "unknown")
DOCUMENT_TYPES = ("passport", "identity_card", "citizenship_certificate", "birth_certificate", "driving_licence",
                  "seaman_book", "military_id", "laissez_passer", "residence_permit", "visa", "photocopy",
                  "witness_statement", "own_statement", "language_test", "travel_ticket", "other")
WITHDRAWAL_REASONS = ("voluntary_departure", "requesting_state_withdrew", "person_absconded", "duplicate", "other")
member_state = fields.String(required=True, validate=validate.OneOf(sorted(MEMBER_STATES)))


def _one_of(values: Any, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(values), **kwargs)


class DocumentSchema(Schema):
    type = _one_of(DOCUMENT_TYPES, required=True)
    number = text(40)
    issued_by = pattern(ALPHA3, "an ISO 3166-1 alpha-3 code")
    valid_until = StrictDate()


class ParticularsSchema(Schema):
    """The common application form's particulars: personal data, kept in the request only."""

    family_name = text(100, required=True)
    given_names = text(100, required=True)
    other_names = fields.List(text(100), validate=validate.Length(max=10))
    birth_date = StrictDate()
    birth_place = text(100)
    sex = _one_of(SEXES)
    nationality = pattern(ALPHA3, "an ISO 3166-1 alpha-3 code", allow_none=True)
    languages = fields.List(pattern(r"^[a-z]{2,3}$", "a language code"), validate=validate.Length(max=10))
    last_address_in_requested_state = text(300)
    documents = fields.List(fields.Nested(DocumentSchema), validate=validate.Length(max=20))


class EvidenceSchema(Schema):
    kind = _one_of(rd.EVIDENCE_KINDS, required=True, metadata={"description": "proof or prima facie evidence"})
    of = _one_of(rd.EVIDENCE_OF, required=True)
    type = _one_of(DOCUMENT_TYPES, required=True)
    reference = text(60)
    description = text(500)


class RequestCreateSchema(Schema):
    direction = _one_of(rd.DIRECTIONS, required=True)
    member_state = member_state
    person_ref = pattern(PERSON_REF, "a valid person_ref", required=True)
    category = _one_of(rd.CATEGORIES, required=True)
    procedure = _one_of(rd.PROCEDURES, required=True)
    learned_on = StrictDate(metadata={"description": "when the irregular stay became known (submit clock)"})
    apprehended_on = StrictDate(metadata={"description": "accelerated procedure: apprehension in the border region"})
    voluntary_return_offered = StrictBoolean(required=True)
    particulars = fields.Nested(ParticularsSchema, required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), load_default=list, validate=validate.Length(max=50))


class NoteSchema(Schema):
    note = text(1000)


class SubmitSchema(NoteSchema):
    received_on = StrictDate(metadata={"description": "day the requested state received it (default: today)"})


class ReasonSchema(Schema):
    code = _one_of(rd.REJECTION_REASONS, required=True)
    explanation = text(1000, required=True)


class RejectSchema(Schema):
    reasons = fields.List(fields.Nested(ReasonSchema), required=True, validate=validate.Length(1, 10))


class WithdrawSchema(NoteSchema):
    reason = _one_of(WITHDRAWAL_REASONS, required=True)


class ExtendSchema(Schema):
    total_days = StrictInteger(required=True, validate=validate.Range(1, 366),
                               metadata={"description": "reply limit in calendar days from receipt, in total"})
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
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))  # query text: "50" is fine here
    cursor = pattern(r"^[A-Za-z0-9_=-]{1,200}$", "a valid cursor")


class RequestQuerySchema(PageQuerySchema):
    person_ref = pattern(PERSON_REF, "a valid person_ref")
    member_state = fields.String(validate=validate.OneOf(sorted(MEMBER_STATES)))
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
    third_country_nationals = fields.List(text(200), validate=validate.Length(max=10), load_default=list)


class ProtocolVersionSchema(Schema):
    effective_from = StrictDate(required=True)
    status = _one_of(STATUSES, required=True)
    competent_authorities = fields.Nested(AuthoritiesSchema, required=True)
    contacts = fields.List(fields.Nested(ContactSchema), validate=validate.Length(max=50), load_default=list)
    border_crossing_points = fields.List(text(100), validate=validate.Length(max=50), load_default=list)
    languages = fields.List(pattern(r"^[a-z]{2,3}$", "a language code"), validate=validate.Length(1, 10),
                            required=True)
    consular_posts = fields.List(text(200), validate=validate.Length(max=50), load_default=list)


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode()


def decode_cursor(cursor: str | None, parts: int, patterns: tuple[re.Pattern[str], ...]) -> tuple[str, ...] | None:
    """The cursor's parts, each checked against its pattern; ValidationError otherwise."""
    if not cursor:
        return None
    try:
        values = tuple(base64.urlsafe_b64decode(cursor.encode()).decode().split("|"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError("Not a cursor from this API.", "cursor") from None
    if len(values) != parts or not all(p.fullmatch(v) for p, v in zip(patterns, values)):
        raise ValidationError("Not a cursor from this API.", "cursor")
    return values
