"""Voluntary return's HTTP schemas (marshmallow): the single source of request validation and of
the OpenAPI document. Every id is matched against its pattern, every enum closed, so no MongoDB
operator can reach a query; unknown fields are refused (marshmallow's default RAISE)."""

from __future__ import annotations

import re

from marshmallow import Schema, fields, validate

from passage.fields import (
    Cursor,
    Money,
    StrictBoolean,
    StrictDate,
    StrictInteger,
    StrictNumber,
    UtcDateTime,
    one_of,
    pattern,
    text,
)
from passage.formats import MONTH, PERSON_REF
from voluntary_return.domain.stages import STAGES
from voluntary_return.domain.vocabulary import (
    CASE_ID,
    CLASSIFICATIONS,
    CLOSING_OUTCOMES,
    COUNTRY,
    CURRENCY,
    DOCUMENT_KINDS,
    ELIGIBILITY_DECISIONS,
    IN_KIND_TYPES,
    LANGUAGE,
    MONITORING_MONTHS,
    NEXT_ACTIONS,
    ORG_SLUG,
    REFERRAL_SOURCES,
    SEXES,
    TRAVEL_DOCUMENT_STATUSES,
    VULNERABILITIES,
    WITHDRAWAL_REASONS,
)

NEEDS_ACTION_CURSOR = re.compile(r"^\d{4}-\d{2}-\d{2}\|[0-9a-f-]{36}$", re.ASCII)


def person_ref_field(**kwargs) -> fields.String:
    return pattern(PERSON_REF, "a person_ref", metadata={"example": "AZ-2026-000001"}, **kwargs)


def country_field(**kwargs) -> fields.String:
    return pattern(COUNTRY, "an ISO 3166-1 alpha-3 code", **kwargs)


def language_field(**kwargs) -> fields.String:
    return pattern(LANGUAGE, "a language code (BCP 47, e.g. fa, az, ru)", **kwargs)


# requests -------------------------------------------------------------------------------------
class ReferralSchema(Schema):
    person_ref = person_ref_field(required=True)
    source = one_of(REFERRAL_SOURCES, required=True)
    organisation = text(200, metadata={"description": "referring NGO, embassy or hotline"})
    centre_id = pattern(
        ORG_SLUG, "a centre id", metadata={"description": "only when no detention stay is known"}
    )
    nationality = country_field(allow_none=True)
    destination_country = country_field(allow_none=True)


class ParticularsSchema(Schema):
    given_name = text(100, required=True)
    family_name = text(100, required=True)
    birth_date = StrictDate(required=True)
    sex = one_of(SEXES, required=True)
    nationality = country_field(allow_none=True)


class DocumentSchema(Schema):
    kind = one_of(DOCUMENT_KINDS, required=True)
    number = text(50)
    issued_by = text(100)
    expires_on = StrictDate()


class HouseholdMemberSchema(Schema):
    person_ref = person_ref_field()
    given_name = text(100, required=True)
    family_name = text(100, required=True)
    birth_date = StrictDate()
    relationship = text(50, required=True, metadata={"example": "daughter"})


class RegistrationSchema(Schema):
    particulars = fields.Nested(ParticularsSchema, required=True)
    documents = fields.List(
        fields.Nested(DocumentSchema), load_default=list, validate=validate.Length(max=20)
    )
    languages = fields.List(language_field(), required=True, validate=validate.Length(1, 10))
    household = fields.List(
        fields.Nested(HouseholdMemberSchema),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "household members travelling together"},
    )
    classification = one_of(CLASSIFICATIONS, required=True)
    vulnerabilities = fields.List(
        one_of(VULNERABILITIES), load_default=list, validate=validate.Length(max=9)
    )
    destination_country = country_field()


class CounsellingSchema(Schema):
    held_on = StrictDate(required=True)
    counsellor = text(100, required=True)
    interpreter_language = language_field(allow_none=True)
    notes = text(5000, multiline=True, metadata={"description": "readable by AVR caseworkers only"})


class EligibilitySchema(Schema):
    decision = one_of(ELIGIBILITY_DECISIONS, required=True)
    reasons = fields.List(text(500), required=True, validate=validate.Length(1, 10))
    decided_on = StrictDate(required=True)


class ConsentSchema(Schema):
    declaration_signed = StrictBoolean(
        required=True, metadata={"description": "the AVRR declaration is signed"}
    )
    declared_on = StrictDate(required=True)
    language = language_field(
        required=True, metadata={"description": "language of the declaration"}
    )
    interpreter_language = language_field(allow_none=True)


class ConsentToShareSchema(Schema):
    agreed_on = StrictDate(
        required=True,
        metadata={
            "description": "when the migrant agreed that the case may be "
            "shared with the authorities"
        },
    )
    language = language_field(
        required=True, metadata={"description": "language the consent was explained in"}
    )
    interpreter_language = language_field(allow_none=True)


class ConsentToShareWithdrawalSchema(Schema):
    withdrawn_on = StrictDate(required=True)


class TravelDocumentSchema(Schema):
    kind = one_of(("passport", "laissez_passer", "travel_document"), required=True)
    status = one_of(TRAVEL_DOCUMENT_STATUSES, required=True)
    reference = text(
        50, metadata={"description": "document or application number (never sent in events)"}
    )


class BookingSchema(Schema):
    route = text(300, required=True, metadata={"example": "GYD-IKA J2 9012"})
    departure_date = StrictDate(required=True)
    destination_country = country_field()
    escort = StrictBoolean(required=True)
    escort_details = text(300)
    medical_needs = text(
        2000,
        multiline=True,
        allow_none=True,
        metadata={"description": "readable by AVR caseworkers only"},
    )


class DepartureSchema(Schema):
    departed_at = UtcDateTime(required=True)


class ArrivalSchema(Schema):
    arrived_at = UtcDateTime(required=True)


class MoneySchema(Schema):
    amount = Money(required=True, metadata={"type": "number", "example": 1500})
    currency = pattern(CURRENCY, "an ISO 4217 code", required=True, metadata={"example": "EUR"})


class InKindItemSchema(Schema):
    type = one_of(IN_KIND_TYPES, required=True)
    description = text(300, required=True)
    value = fields.Nested(MoneySchema)


class PlanSchema(Schema):
    cash_grant = fields.Nested(MoneySchema)
    in_kind = fields.List(
        fields.Nested(InKindItemSchema), load_default=list, validate=validate.Length(max=20)
    )


class ScoresSchema(Schema):
    economic = StrictNumber(required=True, validate=validate.Range(0, 1))
    social = StrictNumber(required=True, validate=validate.Range(0, 1))
    psychosocial = StrictNumber(required=True, validate=validate.Range(0, 1))


class VisitSchema(Schema):
    month = StrictInteger(required=True, validate=validate.OneOf(MONITORING_MONTHS))
    visited_on = StrictDate(required=True)
    scores = fields.Nested(
        ScoresSchema, required=True, metadata={"description": "each dimension from 0 to 1"}
    )
    observations = text(2000)


class ClosingSchema(Schema):
    outcome = one_of(CLOSING_OUTCOMES, required=True)
    note = text(1000, multiline=True)


class WithdrawalSchema(Schema):
    reason = one_of(WITHDRAWAL_REASONS, required=True)
    detail = text(1000, multiline=True)


class NoShowSchema(Schema):
    detail = text(1000, multiline=True)


# query strings --------------------------------------------------------------------------------
class NoQuerySchema(Schema):
    """This endpoint takes no query parameters (``?id[$ne]=`` is a 422, not silently ignored)."""


class CaseQuerySchema(Schema):
    person_ref = person_ref_field()
    nationality = country_field()
    destination_country = country_field()
    stage = one_of(STAGES)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = Cursor(CASE_ID)


class NeedsActionQuerySchema(Schema):
    kind = one_of(NEXT_ACTIONS)
    within_days = fields.Integer(load_default=7, validate=validate.Range(0, 365))
    overdue = fields.Boolean(
        load_default=False, metadata={"description": "only what is past its due date"}
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = Cursor(NEEDS_ACTION_CURSOR)


class MonthQuerySchema(Schema):
    month = pattern(MONTH, "a month (YYYY-MM)", required=True)


# responses ------------------------------------------------------------------------------------
class HistoryEntrySchema(Schema):
    at = fields.String(required=True, metadata={"format": "date-time"})
    stage = one_of(STAGES, required=True)
    action = fields.String(required=True)
    by = fields.String(required=True)


class CaseSchema(Schema):
    """An AVRR case; counselling notes and medical needs only for AVR caseworkers."""

    id = fields.String(required=True)
    person_ref = fields.String(required=True)
    stage = one_of(STAGES, required=True)
    version = fields.Integer(required=True)
    allowed_actions = fields.List(fields.String(), required=True)
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True)
    next_action = one_of(NEXT_ACTIONS, allow_none=True)
    next_action_due = fields.String(allow_none=True, metadata={"format": "date"})
    forced_route_open = fields.Boolean(
        required=True, metadata={"description": "a readmission request was accepted"}
    )
    forced_routes = fields.List(fields.Dict())
    nationality = fields.String(allow_none=True)
    destination_country = fields.String(allow_none=True)
    classification = fields.String(allow_none=True, metadata={"enum": list(CLASSIFICATIONS)})
    vulnerabilities = fields.List(fields.String())
    languages = fields.List(fields.String())
    referral = fields.Dict(
        required=True, metadata={"description": "source, when, by whom; centre when from detention"}
    )
    particulars = fields.Dict()
    documents = fields.List(fields.Dict())
    household = fields.List(
        fields.Dict(), metadata={"description": "household members travelling together"}
    )
    counselling_sessions = fields.List(
        fields.Dict(), metadata={"description": "notes for AVR caseworkers only"}
    )
    eligibility = fields.Dict()
    consent = fields.Dict(
        metadata={"description": "the AVRR declaration: date, language, who recorded it"}
    )
    consent_to_share = fields.Dict(
        metadata={
            "description": "consent to share the case with the authorities: "
            "date, who recorded it, withdrawal; no event before it"
        }
    )
    travel_document = fields.Dict()
    booking = fields.Dict(metadata={"description": "medical_needs for AVR caseworkers only"})
    departure = fields.Dict()
    arrival = fields.Dict()
    withdrawal = fields.Dict()
    reintegration = fields.Dict(
        metadata={"description": "plan and monitoring visits (3/6/12 months)"}
    )
    closure = fields.Dict()
    registered_by = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})
    stage_since = fields.String(metadata={"format": "date-time"})


class ReferralPrefillSchema(Schema):
    """Where a detainee about to be referred is held: what a detention referral fills in."""

    person_ref = fields.String(required=True)
    centre_id = fields.String(required=True)
    unit_id = fields.String(allow_none=True)
    stay_id = fields.String(allow_none=True)
    since = fields.String(allow_none=True, metadata={"format": "date-time"})


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
        },
        name=name,
    )


CasePageSchema = page_schema(CaseSchema, "CasePage")
StageCountsSchema = Schema.from_dict(
    {
        "counts": fields.Dict(fields.String(), fields.Integer(), required=True),
        "total": fields.Integer(required=True),
    },
    name="StageCounts",
)
StatisticsSchema = Schema.from_dict(
    {"month": fields.String(required=True), "rows": fields.List(fields.Dict(), required=True)},
    name="ReturnStatistics",
)
