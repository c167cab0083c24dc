"""HTTP schemas of moves, estate updates and occupancy figures (marshmallow; strict like
``schemas``)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from detention.domain.model import UNIT_CATEGORIES
from detention.domain.moves import RELEASE_REASONS
from detention.web.schemas import (
    BlockSchema,
    MedicalSchema,
    StrictBoolean,
    StrictDate,
    StrictFloat,
    StrictInteger,
    slug,
    text,
)
from passage.fields import pattern
from passage.formats import MONTH


class StrictDateTime(fields.AwareDateTime):
    """An RFC 3339 moment with its offset (``2026-11-21T10:00:00Z``); nothing else."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def,unused-ignore]
        if not isinstance(value, str):
            raise ValidationError("Not a valid date-time (RFC 3339 with its offset).")
        return super()._deserialize(value, attr, data, **kwargs)


class TransferSchema(Schema):
    unit_id = slug(
        required=True,
        metadata={"example": "yevlakh-m1", "description": "the unit the person moves to"},
    )
    reason = text(500, metadata={"example": "family reunification"})


class ReleaseSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(RELEASE_REASONS))
    released_at = StrictDateTime(metadata={"description": "when the person left (default: now)"})
    exit_medical = fields.Nested(MedicalSchema, metadata={"description": "the examination on exit"})


class ExtensionSchema(Schema):
    decision_ref = text(100, required=True, metadata={"example": "2-2345/2027"})
    court = text(200, required=True, metadata={"example": "Baku Administrative Court"})
    decided_on = StrictDate(required=True, metadata={"example": "2027-02-15"})
    valid_until = StrictDate(required=True, metadata={"example": "2027-05-15"})


class StatusGrantedSchema(Schema):
    decision_ref = text(100, required=True, metadata={"example": "SMS-2027-0042"})
    granted_on = StrictDate(
        required=True,
        metadata={"example": "2027-01-10", "description": "the day status was granted"},
    )


class ReviewSchema(Schema):
    next_review_on = StrictDate(required=True, metadata={"example": "2026-12-20"})
    outcome = text(500, metadata={"example": "detention still necessary"})


class CentreUpdateSchema(Schema):
    name = text(200)
    city = text(100)
    active = StrictBoolean(metadata={"description": "false: deactivate (only when nobody is held)"})


class UnitUpdateSchema(Schema):
    name = text(200)
    category = fields.String(validate=validate.OneOf(UNIT_CATEGORIES))
    declared_places = StrictInteger(validate=validate.Range(0, 10000))
    floor_area_m2 = StrictFloat(validate=validate.Range(0, 1_000_000, min_inclusive=False))
    single_room = StrictBoolean()
    blocked_places = fields.List(fields.Nested(BlockSchema), validate=validate.Length(max=50))


class HistoryQuerySchema(Schema):
    first = StrictDate(required=True, data_key="from", metadata={"example": "2026-11-01"})
    last = StrictDate(required=True, data_key="to", metadata={"example": "2026-11-30"})


class MonthQuerySchema(Schema):
    month = pattern(
        MONTH, "Write a month as YYYY-MM", required=True, metadata={"example": "2026-11"}
    )


_COUNTS = fields.Dict(keys=fields.String(), values=fields.Integer())


class UnitNowSchema(Schema):
    unit_id = fields.String(required=True)
    category = fields.String(required=True)
    capacity = fields.Integer(required=True)
    occupied = fields.Integer(required=True)
    free_places = fields.Integer(required=True)


class OccupancySchema(Schema):
    centre_id = fields.String(required=True)
    capacity = fields.Integer(required=True)
    occupied = fields.Integer(required=True)
    free_places = fields.Integer(required=True)
    units = fields.List(fields.Nested(UnitNowSchema), required=True)
    by_category = fields.Dict(
        keys=fields.String(),
        values=_COUNTS,
        required=True,
        metadata={"example": {"women": {"capacity": 20, "occupied": 12, "free_places": 8}}},
    )
    by_sex = _COUNTS
    by_age_band = _COUNTS
    by_nationality = _COUNTS


class DaySchema(Schema):
    day = fields.String(required=True, metadata={"format": "date"})
    occupied = fields.Integer(required=True)
    capacity = fields.Integer(required=True)
    admissions = fields.Integer(required=True)
    releases = fields.Integer(required=True)
    transfers_in = fields.Integer(required=True)
    transfers_out = fields.Integer(required=True)


class UnitHistorySchema(Schema):
    unit_id = fields.String(required=True)
    days = fields.List(fields.Nested(DaySchema), required=True)


HistorySchema = Schema.from_dict(
    {
        "centre_id": fields.String(required=True),
        "from": fields.String(required=True, metadata={"format": "date"}),
        "to": fields.String(required=True, metadata={"format": "date"}),
        "days": fields.List(
            fields.Nested(DaySchema), required=True, metadata={"description": "the centre's totals"}
        ),
        "units": fields.List(fields.Nested(UnitHistorySchema), required=True),
    },
    name="OccupancyHistory",
)


class StatisticsRowSchema(Schema):
    centre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    category = fields.String(required=True)
    capacity = fields.Integer(required=True)
    occupied_end_of_month = fields.Integer(required=True)
    average_occupied = fields.Float(required=True)
    admissions = fields.Integer(required=True)
    releases = fields.Integer(required=True)
    transfers_in = fields.Integer(required=True)
    transfers_out = fields.Integer(required=True)
    by_sex = _COUNTS
    by_age_band = _COUNTS
    by_nationality = _COUNTS


class StatisticsSchema(Schema):
    month = fields.String(required=True)
    rows = fields.List(fields.Nested(StatisticsRowSchema), required=True)
