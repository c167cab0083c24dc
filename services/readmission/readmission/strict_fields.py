"""Strict marshmallow field types (no "15" for 15, no 1 for true, dates only YYYY-MM-DD, no control characters)."""
from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class StrictInteger(fields.Integer):
    """A JSON number without fraction; ``true`` and ``"40"`` are refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictFloat(fields.Float):
    """A JSON number; strings and booleans are refused."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """Only JSON ``true`` or ``false``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictDate(fields.Date):
    """A calendar date written YYYY-MM-DD (2025-02-30 is refused)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _no_control_characters(value: str) -> None:
    if _CONTROL.search(value) or value != value.strip():
        raise ValidationError("Control characters and surrounding spaces are not allowed.")


def text(maximum: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(1, maximum), _no_control_characters], **kwargs)



