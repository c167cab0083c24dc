"""Administrators' account endpoints and the auditors' view of the audit trail.

``/api/v1/admin/users…`` (role admin): create, read, disable, reset password — disabling and
resetting revoke the account's refresh and access tokens at once. ``/api/v1/audit`` (auditor,
admin): the trail, newest first, filtered and paginated. Every call is itself audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import g

from gateway.admin.audit import timestamp
from gateway.auth.accounts import USERNAME, AccountError, MongoUsers, User, new_user
from gateway.auth.guard import Guard
from gateway.auth.passwords import Passwords, password_problem
from gateway.auth.sessions import RefreshTokens
from gateway.auth.tokens import AccessClaims
from gateway.edge.routes import OWN_ROUTES
from gateway.schemas import (
    AuditPageSchema,
    AuditQuerySchema,
    NewUserSchema,
    PasswordResetSchema,
    ProblemSchema,
    UserSchema,
)
from passage.problems import Conflict, NotFound, Unprocessable
from passage.web import Blueprint

USERS = "/api/v1/admin/users"


@dataclass
class Admin:
    guard: Guard
    users: MongoUsers
    passwords: Passwords
    refresh: RefreshTokens


def admin_blueprint(admin: Admin) -> Blueprint:
    blp = Blueprint(
        "admin", __name__, url_prefix=USERS, description="Staff accounts (administrators)."
    )
    blp.before_request(admin.guard.gate(OWN_ROUTES))

    @blp.route("", methods=["POST"])
    @blp.doc(operationId="create_staff_account")
    @blp.arguments(NewUserSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="The username is taken.")
    def create_user(body: dict[str, Any]) -> dict[str, Any]:
        """Create a staff account."""
        return create_account(admin, body, g.caller)

    @blp.route("/<username>", methods=["GET"])
    @blp.doc(operationId="get_staff_account")
    @blp.response(200, UserSchema)
    def get_user(username: str) -> dict[str, Any]:
        """One staff account."""
        return _view(_existing(admin, username))

    @blp.route("/<username>/disable", methods=["POST"])
    @blp.doc(operationId="disable_staff_account")
    @blp.response(200, UserSchema)
    def disable_user(username: str) -> dict[str, Any]:
        """Refuse the account's sign-ins and revoke every token it holds."""
        return disable_account(admin, username, g.caller)

    @blp.route("/<username>/password", methods=["PUT"])
    @blp.doc(operationId="reset_staff_password")
    @blp.arguments(PasswordResetSchema)
    @blp.response(204)
    def reset_password(body: dict[str, Any], username: str) -> None:
        """Set a new password (tell the user out of band) and revoke every token of the account."""
        claims: AccessClaims = g.caller
        _existing(admin, username)
        problem = password_problem(body["password"], username)
        if problem:
            raise Unprocessable(problem, errors=[{"pointer": "/password", "detail": problem}])
        admin.users.set_password_hash(username, admin.passwords.hash(body["password"]))
        _revoke_all(admin, username)
        admin.guard.record(
            "password_reset", f"{USERS}/{{username}}/password", {"username": username}, 204, claims
        )

    return blp


def audit_blueprint(guard: Guard) -> Blueprint:
    blp = Blueprint(
        "audit",
        __name__,
        url_prefix="/api/v1/audit",
        description="The tamper-evident audit trail (auditors and administrators).",
    )
    blp.before_request(guard.gate(OWN_ROUTES))

    @blp.route("", methods=["GET"])
    @blp.doc(operationId="list_audit_records")
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    def read_audit(query: dict[str, Any]) -> dict[str, Any]:
        """Audit records, newest first; ``next_cursor`` pages on."""
        claims: AccessClaims = g.caller
        start, end = query.get("from_"), query.get("to")
        items = guard.trail.search(
            user=query.get("user"),
            resource=query.get("resource"),
            outcome=query.get("outcome"),
            person_ref=query.get("person_ref"),
            start=timestamp(start) if start else None,
            end=timestamp(end) if end else None,
            before_seq=query.get("cursor"),
            limit=query["limit"],
        )
        guard.record("read", "/api/v1/audit", None, 200, claims)
        more = len(items) == query["limit"] and items[-1]["seq"] > 1
        return {"items": items, "next_cursor": items[-1]["seq"] if more else None}

    return blp


def create_account(admin: Admin, body: dict[str, Any], claims: AccessClaims) -> dict[str, Any]:
    """A new staff account from a validated ``NewUserSchema`` body
    (the API and the staff UI both use this)."""
    problem = password_problem(body["password"], body["username"])
    if problem:
        raise Unprocessable(problem, errors=[{"pointer": "/password", "detail": problem}])
    try:
        user = new_user(
            body["username"],
            body["role"],
            admin.passwords.hash(body["password"]),
            centres=body["centres"],
            member_states=body["member_states"],
            organisation=body.get("organisation"),
            all_scopes=body["all_member_states"],
        )
    except AccountError as exc:
        raise Unprocessable(str(exc)) from None
    if not admin.users.add(user):
        raise Conflict(
            "The username is taken.",
            errors=[{"pointer": "/username", "detail": "The username is taken."}],
        )
    admin.guard.record("user_created", USERS, {"username": user.username}, 201, claims)
    return _view(user)


def disable_account(admin: Admin, username: str, claims: AccessClaims) -> dict[str, Any]:
    """Refuse the account's sign-ins and revoke every token it holds (API and staff UI)."""
    _existing(admin, username)
    admin.users.disable(username)
    _revoke_all(admin, username)
    admin.guard.record(
        "user_disabled", f"{USERS}/{{username}}/disable", {"username": username}, 200, claims
    )
    return _view(_existing(admin, username))


def _existing(admin: Admin, username: str) -> User:
    user = admin.users.get(username) if USERNAME.fullmatch(username) else None
    if user is None:
        raise NotFound("There is no such user.")
    return user


def _revoke_all(admin: Admin, username: str) -> None:
    admin.refresh.revoke_user(username)
    admin.guard.revocations.revoke_user(username, datetime.now(UTC))


def _view(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role,
        "centres": list(user.centres),
        "member_states": list(user.member_states),
        "organisation": user.organisation,
        "all_member_states": user.all_scopes,
        "disabled": user.disabled,
    }
