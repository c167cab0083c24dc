"""The gateway's sign-in endpoints: login, refresh, logout. Load → check → issue;
every outcome audited."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import request
from pymongo.errors import PyMongoError

from gateway.auth.accounts import User, Users
from gateway.auth.guard import CHALLENGE, Guard, too_many
from gateway.auth.login import SignIn, SignInRefused, Throttled
from gateway.auth.ratelimit import Limit, RateLimited
from gateway.auth.sessions import Issued, RefreshRefused, RefreshTokens, utc
from gateway.auth.tokens import SigningKeys, issue_access_token
from gateway.schemas import (
    AccessTokenSchema,
    LoginSchema,
    LogoutSchema,
    ProblemSchema,
    RefreshSchema,
)
from passage.problems import Problem, Unauthenticated, Unavailable
from passage.web import Blueprint

log = logging.getLogger(__name__)
BAD_CREDENTIALS = "The username or password is not correct."
BAD_REFRESH = "The refresh token is not valid any more. Sign in again."
RESOURCE = "/api/v1/auth"


@dataclass
class Auth:
    """What the sign-in endpoints use."""

    sign_in: SignIn
    users: Users
    keys: SigningKeys
    refresh: RefreshTokens
    guard: Guard
    ttl_seconds: int
    login_ip_limit: Limit
    login_user_limit: Limit
    prepare: Callable[[], None] = lambda: None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def tokens(self, user: User, now: datetime, issued: Issued | None = None) -> dict[str, Any]:
        """New tokens; the access token names the refresh family,
        so signing out can end the session."""
        issued = issued or self.refresh.issue(user.username, now)
        token = issue_access_token(
            user.identity(),
            self.keys,
            ttl_seconds=self.ttl_seconds,
            now=now.timestamp(),
            family=issued.family,
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.ttl_seconds,
            "refresh_token": issued.token,
        }


def auth_blueprint(auth: Auth) -> Blueprint:
    """``/api/v1/auth/login|refresh|logout``, bound to this app's accounts, keys and stores."""
    blp = Blueprint(
        "auth",
        __name__,
        url_prefix=RESOURCE,
        description=(
            "Sign in, refresh and sign out: short-lived bearer tokens and rotating refresh tokens."
        ),
    )

    @blp.route("/login", methods=["POST"])
    @blp.doc(operationId="sign_in")
    @blp.doc(security=[])
    @blp.arguments(LoginSchema)
    @blp.response(200, AccessTokenSchema)
    @blp.alt_response(
        401, schema=ProblemSchema, description="Wrong username or password, or account disabled."
    )
    @blp.alt_response(429, schema=ProblemSchema, description="Too many attempts; see Retry-After.")
    def login(body: dict[str, Any]) -> dict[str, Any]:
        """Exchange a username and password for an access token and a refresh token."""
        now = auth.clock()
        user = _signed_in(auth, body["username"], body["password"], now)
        answer = _stored(lambda: auth.tokens(user, now))
        auth.guard.record(
            "login", f"{RESOURCE}/login", None, 200, user=user.username, required=False
        )
        return answer

    @blp.route("/refresh", methods=["POST"])
    @blp.doc(operationId="refresh_sign_in")
    @blp.doc(security=[])
    @blp.arguments(RefreshSchema)
    @blp.response(200, AccessTokenSchema)
    @blp.alt_response(
        401, schema=ProblemSchema, description="Unknown, expired, revoked or re-used refresh token."
    )
    def refresh(body: dict[str, Any]) -> dict[str, Any]:
        """Exchange a refresh token for new tokens; the old refresh token stops working."""
        now = auth.clock()
        try:
            issued = _stored(lambda: auth.refresh.rotate(body["refresh_token"], now))
        except RefreshRefused as refused:
            auth.guard.record(
                "refresh_reused" if refused.reused else "refresh_refused",
                f"{RESOURCE}/refresh",
                None,
                401,
                user=refused.username,
                required=False,
            )
            raise Unauthenticated(BAD_REFRESH, headers=CHALLENGE) from None
        user = _stored(lambda: auth.users.get(issued.username))
        if user is None or user.disabled:
            _stored(lambda: auth.refresh.revoke_family(issued.family))
            raise Unauthenticated(BAD_REFRESH, headers=CHALLENGE)
        auth.guard.record(
            "refresh", f"{RESOURCE}/refresh", None, 200, user=user.username, required=False
        )
        return auth.tokens(user, now, issued)

    @blp.route("/logout", methods=["POST"])
    @blp.doc(operationId="sign_out")
    @blp.arguments(LogoutSchema)
    @blp.response(204)
    @blp.alt_response(401, schema=ProblemSchema, description="No valid access token.")
    def logout(body: dict[str, Any]) -> None:
        """End the session: this access token, its refresh family and every token of that family.

        The family comes from the access token itself; a refresh token in the body (of the same
        user) is revoked with its own family too.
        """
        claims = auth.guard.caller(count=False)
        token = body.get("refresh_token")

        def revoke() -> None:
            auth.guard.revocations.revoke_token(claims.jti, utc(claims.expires_at))
            owner = auth.refresh.owner(token) if token else None
            families = {claims.family} | (
                {owner["family"]}
                if owner and owner["username"] == claims.identity.user_id
                else set()
            )
            for family in families - {None}:
                auth.refresh.revoke_family(family)
                auth.guard.revocations.revoke_family(family, auth.clock())

        _stored(revoke)
        auth.guard.record("logout", f"{RESOURCE}/logout", None, 204, claims, required=False)

    return blp


def _stored(work: Callable[[], Any]) -> Any:
    try:
        return work()
    except PyMongoError:
        log.exception("sign-in store unavailable")
        raise Unavailable("Signing in is unavailable right now. Try again shortly.") from None


def _signed_in(auth: Auth, username: str, password: str, now: datetime) -> User:
    auth.prepare()
    return checked_sign_in(
        auth.sign_in,
        auth.guard,
        (auth.login_ip_limit, auth.login_user_limit),
        username,
        password,
        f"{RESOURCE}/login",
        now,
    )


def checked_sign_in(
    sign_in: SignIn,
    guard: Guard,
    limits: tuple[Limit, Limit],
    username: str,
    password: str,
    resource: str,
    now: datetime,
) -> User:
    """The user, or the problem a client sees (the same 401 for every kind of wrong credential).

    Shared by the API and the UI's form. Limits count per client address and per (account, client),
    so nobody can lock an account out from elsewhere; the account is recorded as ``SignIn.recorded``
    names it (never a password typed into the username field).
    """
    client, account = request.remote_addr or "unknown", sign_in.recorded(username)
    try:
        guard.limiter.hit(f"login-ip:{client}", limits[0], now)
        guard.limiter.hit(f"login-user:{account}|{client}", limits[1], now)
        return sign_in(username, password, client, now)
    except PyMongoError:
        log.exception("sign-in store unavailable")
        raise Unavailable("Signing in is unavailable right now. Try again shortly.") from None
    except RateLimited as limited:
        guard.record("login_rate_limited", resource, None, 429, user=account, required=False)
        raise too_many(limited.retry_after, "Too many sign-in attempts.") from None
    except SignInRefused:
        guard.record("login_failed", resource, None, 401, user=account, required=False)
        raise Unauthenticated(BAD_CREDENTIALS, headers=CHALLENGE) from None
    except Throttled as throttled:
        guard.record("login_throttled", resource, None, 429, user=account, required=False)
        seconds = max(1, math.ceil((throttled.until - now).total_seconds()))
        raise Problem(
            f"Too many failed sign-in attempts from here. Try again in {seconds} s.",
            status=429,
            headers={"Retry-After": str(seconds)},
            retry_after_seconds=seconds,
        ) from None
