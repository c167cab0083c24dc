"""Transit requests' HTTP schemas (marshmallow): strict types, closed lists, unknown fields refused,
so no MongoDB operator reaches a query and escorting officials' names are never taken in."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from passage.fields import StrictDate, StrictInteger, pattern, text
from passage.formats import PERSON_REF
from readmission.domain import requests as rd
from readmission.domain import transits as td
from readmission.web.schemas import (
    EscortSchema,
    NoteSchema,
    PageQuerySchema,
    ParticularsSchema,
    agreement,
    member_state,
    state_code,
)

COUNTRY = re.compile(r"^[A-Z]{2,3}$", re.ASCII)  # ISO 3166-1 alpha-2 or alpha-3
_AWARE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$", re.ASCII
)


class StrictAwareDateTime(fields.AwareDateTime):
    """An RFC 3339 date and time *with* its offset (``2026-11-10T06:30:00+04:00``); naive times are
    refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or not _AWARE.fullmatch(value):
            raise self.make_error("invalid", obj_type=self.OBJ_TYPE)
        return super()._deserialize(value, attr, data, **kwargs)


def _one_of(values: Any, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(values), **kwargs)


class EscortsSchema(Schema):
    """Escorting officials (Annex 6): how many, from which agency, and each one's name, rank and
    document (personal data: shown only to roles whose job needs it)."""

    count = StrictInteger(required=True, validate=validate.Range(0, 20))
    agency = text(200)
    officers = fields.List(fields.Nested(EscortSchema), validate=validate.Length(max=20))


class TransitCreateSchema(Schema):
    agreement = agreement
    direction = _one_of(
        rd.DIRECTIONS,
        required=True,
        metadata={
            "description": "incoming: a member state asks Azerbaijan to allow the transit; "
            "outgoing: the reverse"
        },
    )
    member_state = member_state
    person_ref = pattern(PERSON_REF, "a valid person_ref", required=True)
    particulars = fields.Nested(ParticularsSchema, required=True)
    route = fields.List(
        pattern(COUNTRY, "an ISO 3166-1 country code"),
        required=True,
        validate=validate.Length(2, 10),
        metadata={"description": "countries in travel order, ISO 3166-1 alpha-2 or alpha-3"},
    )
    border_crossing_point = text(
        100,
        required=True,
        metadata={
            "description": "one of the member state protocol's crossing points "
            "when the protocol lists any"
        },
    )
    transit_at = StrictAwareDateTime(
        required=True, metadata={"description": "date and time, with offset; future"}
    )
    means = _one_of(("air", "land", "sea"))
    escorts = fields.Nested(EscortsSchema)
    received_on = StrictDate(
        metadata={"description": "day the requested state received it (default: today)"}
    )
    note = text(1000)


class TransitRefusalReasonSchema(Schema):
    code = _one_of(td.REFUSAL_REASONS, required=True)
    explanation = text(1000, required=True)


class TransitRefuseSchema(Schema):
    reasons = fields.List(
        fields.Nested(TransitRefusalReasonSchema), required=True, validate=validate.Length(1, 10)
    )


class TransitRevokeSchema(Schema):
    reason = _one_of(td.REVOCATION_REASONS, required=True)
    explanation = text(1000, required=True)


class TransitWithdrawSchema(NoteSchema):
    reason = _one_of(td.WITHDRAWAL_REASONS, required=True)


class TransitQuerySchema(PageQuerySchema):
    person_ref = pattern(PERSON_REF, "a valid person_ref")
    member_state = fields.String(validate=state_code)
    state = _one_of(td.STATES)
    direction = _one_of(rd.DIRECTIONS)
