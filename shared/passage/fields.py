"""Strict marshmallow fields every service's request schemas use.

JSON types are taken at their word: no "40" for 40, no 1 for true, dates only as YYYY-MM-DD
(2025-02-30 refused), times only with an offset, text without control characters or
surrounding spaces, ids only matching their pattern, page cursors opaque. Refusing here keeps
malformed or hostile values (and MongoDB operators) out of every handler and every query.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# Control characters, and unpaired UTF-16 surrogates (JSON "\ud800" decodes to one; no UTF-8
# encoder, MongoDB's included, can store it).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # tab and newline allowed
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,160}$")


class StrictInteger(fields.Integer):
    """A JSON number without fraction; ``true`` and ``"40"`` are refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictNumber(fields.Float):
    """A JSON number; strings and booleans are refused."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


StrictFloat = StrictNumber


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


class UtcDateTime(fields.AwareDateTime):
    """An RFC 3339 time with an offset, loaded as UTC (milliseconds kept, as MongoDB does)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("Not an RFC 3339 date-time with an offset.")
        moment = super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Money(fields.Field):
    """A JSON number with at most two decimals, 0 to 10,000,000; loads to a Decimal."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("Not a number.")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError("Not a number.") from None
        if (
            not amount.is_finite()
            or amount < 0
            or amount > Decimal("10000000")
            or not isinstance(exponent := amount.as_tuple().exponent, int)
            or exponent < -2
        ):
            raise ValidationError("An amount from 0 to 10,000,000 with at most two decimals.")
        return amount


def text(maximum: int, *, multiline: bool = False, **kwargs: Any) -> fields.String:
    """Free text of 1..``maximum`` characters; ``multiline`` allows tabs and line breaks (notes)."""
    control = _CONTROL_BUT_LINES if multiline else _CONTROL

    def clean(value: str) -> None:
        if control.search(value) or value != value.strip():
            raise ValidationError("Control characters and surrounding spaces are not allowed.")

    return fields.String(validate=[validate.Length(1, maximum), clean], **kwargs)


class Identifier(fields.String):
    """An id or code matching the WHOLE of its pattern, ASCII only.

    ``re.match`` with a pattern ending in ``$`` lets a final newline through ("YEV-0001\\n"), and
    ``\\d`` matches fullwidth digits; here the pattern is recompiled ASCII-only and applied with
    ``fullmatch``, so a trailing newline, NUL or a Unicode look-alike is refused. The source (an
    ECMA-compatible ``^...$``) is published as the OpenAPI ``pattern``.
    """

    def __init__(self, regex: re.Pattern[str] | str, what: str, **kwargs: Any) -> None:
        source = regex if isinstance(regex, str) else regex.pattern
        metadata = {"pattern": source, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.regex = whole(source)
        self.what = what

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        if not self.regex.fullmatch(raw):
            raise ValidationError(f"Not {self.what}.")
        return raw


def whole(source: str) -> re.Pattern[str]:
    """``source`` compiled ASCII-only (``\\d`` is 0-9, not fullwidth digits); use with
    ``fullmatch``."""
    return re.compile(source, re.ASCII)


def pattern(regex: re.Pattern[str] | str, what: str, **kwargs: Any) -> Identifier:
    """A string matching the whole of ``regex`` (ids, codes); the error says what was expected."""
    return Identifier(regex, what, **kwargs)


def one_of(choices: tuple[str, ...], **kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(choices), metadata={"enum": list(choices)}, **kwargs
    )


class Cursor(fields.String):
    """An opaque page cursor; loads to the text it wraps, checked against ``regex``."""

    def __init__(self, regex: re.Pattern[str], **kwargs: Any) -> None:
        super().__init__(metadata={"description": "next_cursor of the previous page"}, **kwargs)
        self.regex = regex

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            if not _CURSOR.fullmatch(raw):
                raise ValueError(raw)
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValidationError("Not a valid cursor.") from None
        if not self.regex.fullmatch(decoded):
            raise ValidationError("Not a valid cursor.")
        return decoded


def encode_cursor(text_: str) -> str:
    return base64.urlsafe_b64encode(text_.encode("ascii")).decode("ascii").rstrip("=")
