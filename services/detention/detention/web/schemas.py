"""Detention's HTTP schemas (marshmallow): the single source of request validation and OpenAPI.

Every field is typed strictly (no "40" for 40, no 1 for true, dates only as YYYY-MM-DD) and
every id is matched against its pattern, so no MongoDB operator can reach a query.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from detention.domain.families import RELATIONS
from detention.domain.ids import FAMILY_GROUP_ID
from detention.domain.model import (
    LEGAL_BASIS_KINDS,
    NATIONALITY,
    PERSON_REF,
    SEXES,
    SLUG,
    STAY_ID,
    STAY_STATUSES,
    UNIT_CATEGORIES,
    VULNERABILITIES,
)
from passage.fields import (
    Cursor,
    StrictBoolean,
    StrictDate,
    StrictFloat,
    StrictInteger,
    pattern,
    text,
)


def slug(**kwargs: Any) -> fields.String:
    return pattern(SLUG, "a valid id (lower-case slug)", **kwargs)


# requests ------------------------------------------------------------------------------------
class CentreCreateSchema(Schema):
    id = slug(required=True, metadata={"example": "baku"})
    name = text(
        200, required=True, metadata={"example": "Baku Detention Centre for Illegal Migrants"}
    )
    city = text(100, required=True, metadata={"example": "Baku"})


class BlockSchema(Schema):
    places = StrictInteger(required=True, validate=validate.Range(1, 10000))
    reason = text(200, required=True, metadata={"example": "water damage, repairs"})
    until = StrictDate(required=True, metadata={"description": "last day the places are blocked"})


class UnitCreateSchema(Schema):
    id = slug(required=True, metadata={"example": "baku-m1"})
    name = text(200, required=True, metadata={"example": "Men's wing 1"})
    category = fields.String(required=True, validate=validate.OneOf(UNIT_CATEGORIES))
    declared_places = StrictInteger(
        required=True, validate=validate.Range(0, 10000), metadata={"example": 40}
    )
    floor_area_m2 = StrictFloat(
        required=True,
        validate=validate.Range(0, 1_000_000, min_inclusive=False),
        metadata={"example": 180.0, "description": "living area, sanitary area excluded"},
    )
    single_room = StrictBoolean(load_default=False)
    blocked_places = fields.List(
        fields.Nested(BlockSchema), load_default=list, validate=validate.Length(max=50)
    )


class PersonSchema(Schema):
    person_ref = pattern(
        PERSON_REF,
        "a valid person_ref",
        metadata={"example": "AZ-2026-000001", "description": "made (UUID) when absent"},
    )
    given_name = text(100, required=True)
    family_name = text(100, required=True)
    birth_date = StrictDate(required=True, metadata={"example": "1990-04-02"})
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    nationality = pattern(
        NATIONALITY, "an ISO 3166-1 alpha-3 code", allow_none=True, metadata={"example": "IRN"}
    )


class LegalBasisSchema(Schema):
    """Which fields each kind needs is the domain's rule (answered with a pointer when broken)."""

    kind = fields.String(required=True, validate=validate.OneOf(LEGAL_BASIS_KINDS))
    decision_ref = text(100, metadata={"example": "2-1234/2026"})
    court = text(200, metadata={"example": "Baku Administrative Court"})
    decided_on = StrictDate(metadata={"example": "2026-11-20"})
    valid_until = StrictDate(metadata={"example": "2027-02-20"})


class MinorOverrideSchema(Schema):
    reason = text(1000, required=True)
    approved_by = text(100, required=True, metadata={"description": "the approving officer"})


class MedicalSchema(Schema):
    """A medical examination on entry or exit (health data: shown only to those who hold the
    person)."""

    examined_on = StrictDate(required=True, metadata={"example": "2026-11-20"})
    examined_by = text(100, required=True, metadata={"example": "Dr. N. Aliyeva"})
    fit_for_detention = StrictBoolean(allow_none=True)
    notes = text(2000)


class FamilyGroupSchema(Schema):
    """The family group a person is admitted in: a new one, or an existing one by its id."""

    id = pattern(
        FAMILY_GROUP_ID, "a family group id", metadata={"description": "join this existing group"}
    )
    new = StrictBoolean(metadata={"description": "true: start a new family group with this person"})
    relation = fields.String(
        required=True,
        validate=validate.OneOf(RELATIONS),
        metadata={"description": "the person's place in the family"},
    )


class _PersonAdmissionSchema(Schema):
    person = fields.Nested(PersonSchema, required=True)
    legal_basis = fields.Nested(LegalBasisSchema, required=True)
    minor_override = fields.Nested(
        MinorOverrideSchema, metadata={"description": "for an unaccompanied minor"}
    )
    medical_examination = fields.Nested(
        MedicalSchema, metadata={"description": "the examination on entry"}
    )
    vulnerabilities = fields.List(
        fields.String(validate=validate.OneOf(VULNERABILITIES)),
        validate=validate.Length(max=8),
        metadata={"description": "declared categories: alert, suggest referral to AVRR"},
    )


class AdmissionSchema(_PersonAdmissionSchema):
    unit_id = slug(required=True, metadata={"example": "baku-m1"})
    family_group = fields.Nested(
        FamilyGroupSchema, metadata={"description": "required in a family unit"}
    )


class FamilyMemberSchema(_PersonAdmissionSchema):
    relation = fields.String(required=True, validate=validate.OneOf(RELATIONS))


class FamilyAdmissionSchema(Schema):
    """A family arriving together: every member gets a place in the unit, or nobody does."""

    unit_id = slug(required=True, metadata={"example": "baku-f1"})
    family_group_id = pattern(
        FAMILY_GROUP_ID,
        "a family group id",
        metadata={"description": "join an existing group held here (default: a new group)"},
    )
    members = fields.List(
        fields.Nested(FamilyMemberSchema), required=True, validate=validate.Length(1, 20)
    )


class PageQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = Cursor(SLUG)


class StayQuerySchema(Schema):
    centre_id = slug()
    unit_id = slug()
    person_ref = pattern(PERSON_REF, "a valid person_ref")
    status = fields.String(validate=validate.OneOf(STAY_STATUSES))
    nationality = pattern(NATIONALITY, "an ISO 3166-1 alpha-3 code")
    legal_basis = fields.String(validate=validate.OneOf(LEGAL_BASIS_KINDS))
    due_within = pattern(
        r"^[1-9][0-9]{0,2}d$",
        "a window like 7d",
        metadata={"description": "open stays whose legal end or review falls within N days"},
    )
    due_before = StrictDate(metadata={"description": "open stays due on or before this day"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = Cursor(STAY_ID)


class NoQuerySchema(Schema):
    """This endpoint takes no query parameters (``?id[$ne]=`` is a 422, not silently ignored)."""


# responses -----------------------------------------------------------------------------------
_DATE_OUT = {"format": "date"}


class CentreSchema(Schema):
    id = fields.String(required=True, metadata={"example": "baku"})
    name = fields.String(required=True)
    city = fields.String(required=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class BlockOutSchema(Schema):
    places = fields.Integer(required=True)
    reason = fields.String(required=True)
    until = fields.String(required=True, metadata=_DATE_OUT)
    in_force = fields.Boolean(required=True)


class UnitSchema(Schema):
    id = fields.String(required=True, metadata={"example": "baku-m1"})
    centre_id = fields.String(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True, metadata={"enum": list(UNIT_CATEGORIES)})
    declared_places = fields.Integer(required=True)
    blocked_places = fields.List(fields.Nested(BlockOutSchema), required=True)
    floor_area_m2 = fields.Float(required=True)
    single_room = fields.Boolean(required=True)
    capacity = fields.Integer(
        required=True, metadata={"description": "declared places less blocks in force"}
    )
    occupancy = fields.Integer(required=True)
    free_places = fields.Integer(required=True)
    cpt_capacity = fields.Integer(
        required=True, metadata={"description": "persons the floor area allows (CPT)"}
    )
    over_standard = fields.Boolean(
        required=True, metadata={"description": "declared places exceed cpt_capacity"}
    )
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class PersonOutSchema(Schema):
    given_name = fields.String()
    family_name = fields.String()
    birth_date = fields.String(metadata=_DATE_OUT)
    sex = fields.String()
    nationality = fields.String(allow_none=True)


class LegalBasisOutSchema(Schema):
    kind = fields.String(required=True, metadata={"enum": list(LEGAL_BASIS_KINDS)})
    decision_ref = fields.String()
    court = fields.String()
    decided_on = fields.String(metadata=_DATE_OUT)
    valid_until = fields.String(metadata=_DATE_OUT)


class HistoryEntrySchema(Schema):
    at = fields.DateTime(required=True)
    state = fields.String(
        required=True,
        metadata={
            "enum": ["admitted", "transferred", "extended", "reviewed", "examined", "released"]
        },
    )
    by = fields.String(required=True)
    centre_id = fields.String()
    unit_id = fields.String()
    reason = fields.String()


class MedicalOutSchema(Schema):
    examined_on = fields.String(metadata=_DATE_OUT)
    examined_by = fields.String()
    fit_for_detention = fields.Boolean(allow_none=True)
    notes = fields.String(allow_none=True)


class FamilyGroupOutSchema(Schema):
    id = fields.String(required=True)
    relation = fields.String(required=True, metadata={"enum": list(RELATIONS)})


class StaySchema(Schema):
    """A stay; ``person``, the legal basis details and any minor override only for those who hold
    the person."""

    id = fields.String(required=True)
    person_ref = fields.String(required=True)
    centre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STAY_STATUSES)})
    admitted_at = fields.DateTime(required=True)
    admitted_by = fields.String(required=True)
    legal_basis = fields.Nested(LegalBasisOutSchema, required=True)
    legal_end = fields.String(allow_none=True, metadata=_DATE_OUT)
    sex = fields.String(required=True)
    nationality = fields.String(allow_none=True)
    age_band = fields.String(required=True)
    alerts = fields.List(
        fields.String(), required=True, metadata={"description": "vulnerability alerts"}
    )
    person = fields.Nested(PersonOutSchema)
    minor_override = fields.Nested(MinorOverrideSchema)
    family_group = fields.Nested(FamilyGroupOutSchema, allow_none=True)
    next_review_on = fields.String(allow_none=True, metadata=_DATE_OUT)
    due_on = fields.String(
        allow_none=True, metadata={**_DATE_OUT, "description": "the first clock to run out"}
    )
    planned_release_on = fields.String(allow_none=True, metadata=_DATE_OUT)
    released_at = fields.DateTime(allow_none=True)
    release_reason = fields.String(allow_none=True)
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True)
    entry_medical = fields.Nested(MedicalOutSchema)
    entry_examination_missing = fields.Boolean(
        metadata={"description": "open and no entry examination recorded"}
    )
    asylum_extension = fields.Dict(
        metadata={"description": "the further months granted with status, and their source"}
    )
    exit_medical = fields.Nested(MedicalOutSchema)
    extensions = fields.List(fields.Dict())
    vulnerabilities = fields.List(fields.String())
    version = fields.Integer(required=True)


def page_schema(item: type[Schema], name: str, **more: fields.Field) -> type[Schema]:
    """``{"items": [...], "next_cursor": ...}`` for one kind of item (and ``more`` fields)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
            **more,
        },
        name=name,
    )


CentrePageSchema = page_schema(CentreSchema, "CentrePage")
UnitPageSchema = page_schema(UnitSchema, "UnitPage")
StayPageSchema = page_schema(
    StaySchema,
    "StayPage",
    today=fields.String(
        metadata={
            **_DATE_OUT,
            "description": "with due_within: the day the window counts from, in the centres' "
            "time zone (a client's own clock may be on another day)",
        }
    ),
)


class FamilyAdmittedSchema(Schema):
    family_group_id = fields.String(required=True)
    stays = fields.List(fields.Nested(StaySchema), required=True)
