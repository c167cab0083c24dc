"""marshmallow schemas of the gateway's own endpoints
(the single source for validation and docs)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.auth.accounts import CENTRE_ID, MEMBER_STATE, ORGANISATION, USERNAME
from gateway.auth.passwords import MAX_PASSWORD_LENGTH
from passage.fields import pattern
from passage.formats import PERSON_REF

USERNAME_PATTERN = USERNAME.pattern  # published in OpenAPI; matched whole by passage.fields.pattern


class LoginSchema(Schema):
    """A sign-in attempt; unknown fields and non-string values are refused (no operators)."""

    username = pattern(
        USERNAME,
        "a valid username",
        required=True,
        metadata={"example": "staff.baku", "pattern": USERNAME_PATTERN},
    )
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH)
    )


class AccessTokenSchema(Schema):
    """The bearer token to send as ``Authorization: Bearer <access_token>``."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(
        required=True, metadata={"description": "Seconds until the token expires."}
    )
    refresh_token = fields.String(
        required=True,
        metadata={
            "description": (
                "Opaque; exchange it at /api/v1/auth/refresh for new tokens (each works once)."
            )
        },
    )


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every Passage error is answered."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    correlation_id = fields.String()


class RefreshSchema(Schema):
    """A refresh token from a previous login or refresh."""

    refresh_token = fields.String(
        required=True, load_only=True, validate=validate.Length(min=16, max=256)
    )


class LogoutSchema(Schema):
    """Optionally the refresh token to revoke along with the access token."""

    refresh_token = fields.String(load_only=True, validate=validate.Length(min=16, max=256))


CENTRE_PATTERN = CENTRE_ID.pattern
ROLE_NAMES = ("admin", "centre_staff", "liaison_officer", "avr_caseworker", "partner", "auditor")


class NewUserSchema(Schema):
    """An account to create; scopes must suit the role (checked by the account rules)."""

    username = pattern(
        USERNAME, "a valid username", required=True, metadata={"pattern": USERNAME_PATTERN}
    )
    role = fields.String(required=True, validate=validate.OneOf(ROLE_NAMES))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=12, max=MAX_PASSWORD_LENGTH)
    )
    centres = fields.List(
        pattern(CENTRE_PATTERN, "a centre id"), load_default=list, validate=validate.Length(max=50)
    )
    member_states = fields.List(
        pattern(MEMBER_STATE, "a member state code"),
        load_default=list,
        validate=validate.Length(max=40),
    )
    organisation = pattern(ORGANISATION, "an organisation name")
    all_member_states = fields.Boolean(load_default=False)


class PasswordResetSchema(Schema):
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=12, max=MAX_PASSWORD_LENGTH)
    )


class UserSchema(Schema):
    """An account as administrators see it (never the password hash)."""

    username = fields.String(required=True)
    role = fields.String(required=True)
    centres = fields.List(fields.String(), required=True)
    member_states = fields.List(fields.String(), required=True)
    organisation = fields.String(allow_none=True)
    all_member_states = fields.Boolean(required=True)
    disabled = fields.Boolean(required=True)


class AuditQuerySchema(Schema):
    """Filters of the audit trail; every value is typed, so none can act as a query operator."""

    user = pattern(USERNAME, "a valid username", metadata={"pattern": USERNAME_PATTERN})
    resource = pattern(r"^/api/v1/[A-Za-z0-9/{}_.-]{1,200}$", "an API path")
    outcome = fields.Integer(validate=validate.Range(100, 599))
    person_ref = pattern(
        PERSON_REF,
        "a person reference",
        metadata={"description": "records that named this person (in the path or the answer)"},
    )
    from_ = fields.AwareDateTime(data_key="from", format="iso")
    to = fields.AwareDateTime(format="iso")
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.Integer(
        validate=validate.Range(1, 2**62),
        metadata={"description": "next_cursor of the previous page"},
    )


class AuditRecordSchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.String(required=True)
    user = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    action = fields.String(required=True)
    method = fields.String(required=True)
    resource = fields.String(required=True)
    ids = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    filters = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "the query's parameters (names only when the service refused it)"},
    )
    returned = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "identifiers of the records in the answer: whose data was read"},
    )
    outcome = fields.Integer(required=True)
    correlation_id = fields.String(allow_none=True)
    prev_hash = fields.String(required=True)
    key_id = fields.String(
        allow_none=True, metadata={"description": "which chain key sealed the record"}
    )
    hash = fields.String(
        required=True, metadata={"description": "HMAC-SHA256 of the record under that key"}
    )


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditRecordSchema), required=True)
    next_cursor = fields.Integer(allow_none=True)
