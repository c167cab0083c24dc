"""Administrators see and clear sign-in throttles: ``/api/v1/admin/login-throttles`` (role admin).

A throttle slows one client address down for one account after repeated failures (see
``gateway.auth.throttle``); an administrator who knows the attempts were the staff member's own can
clear it at once. Every call is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import g
from marshmallow import Schema, fields

from gateway.auth.guard import Guard
from gateway.auth.throttle import MongoLoginThrottle
from gateway.auth.tokens import AccessClaims
from gateway.edge.routes import OWN_ROUTES
from passage.fields import pattern
from passage.web import Blueprint

THROTTLES = "/api/v1/admin/login-throttles"
# A username, or the keyed hash that stands for a typed name outside the username format.
ACCOUNT = r"^([a-z][a-z0-9._-]{2,63}|invalid:[0-9a-f]{24})$"
CLIENT = r"^[0-9A-Fa-f:.]{2,45}$"  # an IPv4 or IPv6 address


class ThrottleQuerySchema(Schema):
    account = pattern(ACCOUNT, "a username (or invalid:<hash>)")
    client = pattern(CLIENT, "an IP address")


class ClearQuerySchema(ThrottleQuerySchema):
    account = pattern(ACCOUNT, "a username (or invalid:<hash>)", required=True)


class ThrottleSchema(Schema):
    account = fields.String(required=True)
    client = fields.String(required=True)
    failures = fields.Integer(required=True)
    last_failure = fields.DateTime(required=True)
    wait_until = fields.DateTime(
        allow_none=True, metadata={"description": "null: may try again now"}
    )


class ThrottlePageSchema(Schema):
    items = fields.List(fields.Nested(ThrottleSchema), required=True)


class ClearedSchema(Schema):
    cleared = fields.Integer(required=True)


def throttle_blueprint(guard: Guard, throttle: MongoLoginThrottle) -> Blueprint:
    blp = Blueprint(
        "login_throttles",
        __name__,
        url_prefix=THROTTLES,
        description="Sign-in throttles per account and client address (administrators).",
    )
    blp.before_request(guard.gate(OWN_ROUTES))

    @blp.route("", methods=["GET"])
    @blp.arguments(ThrottleQuerySchema, location="query")
    @blp.response(200, ThrottlePageSchema)
    def list_throttles(query: dict[str, Any]) -> dict[str, Any]:
        """Accounts and addresses with recent failed sign-ins, most recent first (at most 200)."""
        claims: AccessClaims = g.caller
        found = throttle.list(datetime.now(UTC), query.get("account"))
        items = [t for t in found if query.get("client") in (None, t.client)]
        guard.record("read", THROTTLES, None, 200, claims)
        return {"items": [t.__dict__ for t in items]}

    @blp.route("", methods=["DELETE"])
    @blp.arguments(ClearQuerySchema, location="query")
    @blp.response(200, ClearedSchema)
    def clear_throttles(query: dict[str, Any]) -> dict[str, Any]:
        """Forget an account's failed sign-ins (from one address when ``client`` is given)."""
        claims: AccessClaims = g.caller
        cleared = throttle.clear_account(query["account"], query.get("client"))
        guard.record(
            "login_throttle_cleared", THROTTLES, {"account": query["account"]}, 200, claims
        )
        return {"cleared": cleared}

    return blp
