"""marshmallow schemas of the gateway's own endpoints (the single source for validation and docs)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.accounts import USERNAME
from gateway.passwords import MAX_PASSWORD_LENGTH

USERNAME_PATTERN = "^[a-z][a-z0-9._-]{2,63}$"  # the same rule as USERNAME, in the syntax OpenAPI uses


class LoginSchema(Schema):
    """A sign-in attempt; unknown fields and non-string values are refused (no operators)."""

    username = fields.String(required=True, validate=validate.Regexp(USERNAME, error="Not a valid username."),
                             metadata={"example": "staff.baku", "pattern": USERNAME_PATTERN})
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))


class AccessTokenSchema(Schema):
    """The bearer token to send as ``Authorization: Bearer <access_token>``."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds until the token expires."})


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every Passage error is answered."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    correlation_id = fields.String()
