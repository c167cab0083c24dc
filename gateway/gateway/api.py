"""The gateway's own endpoints (sign-in): load → sign in → issue a token; no rules of its own."""
from __future__ import annotations

import logging
import math
from datetime import datetime, timezone
from typing import Any, Callable

from pymongo.errors import PyMongoError

from passage.problems import Problem, Unauthenticated
from passage.web import Blueprint

from gateway.accounts import User
from gateway.login import LockedOut, SignIn, SignInRefused
from gateway.schemas import AccessTokenSchema, LoginSchema, ProblemSchema
from gateway.tokens import SigningKeys, issue_access_token

log = logging.getLogger(__name__)
BAD_CREDENTIALS = "The username or password is not correct."


def auth_blueprint(sign_in: SignIn, keys: SigningKeys, ttl_seconds: int, *,
                   prepare: Callable[[], None] = lambda: None,
                   clock: Callable[[], datetime] | None = None) -> Blueprint:
    """``POST /api/v1/auth/login``, bound to this app's accounts and keys."""
    clock = clock or (lambda: datetime.now(timezone.utc))
    blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                    description="Sign in and get a short-lived bearer token.")

    @blp.route("/login", methods=["POST"])
    @blp.doc(security=[])
    @blp.arguments(LoginSchema)
    @blp.response(200, AccessTokenSchema)
    @blp.alt_response(401, schema=ProblemSchema, description="Wrong username or password, or account disabled.")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many failed attempts; see Retry-After.")
    def login(body: dict[str, Any]) -> dict[str, Any]:
        """Exchange a username and password for an access token."""
        now = clock()
        user = _signed_in(sign_in, prepare, body["username"], body["password"], now)
        token = issue_access_token(user.identity(), keys, ttl_seconds=ttl_seconds, now=now.timestamp())
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl_seconds}

    return blp


def _signed_in(sign_in: SignIn, prepare: Callable[[], None], username: str, password: str, now: datetime) -> User:
    """The user, or the problem a client sees (the same 401 for every kind of wrong credential)."""
    try:
        prepare()
        return sign_in(username, password, now)
    except PyMongoError:
        log.exception("sign-in store unavailable")
        raise Problem("Signing in is unavailable right now. Try again shortly.", status=503,
                      headers={"Retry-After": "5"}) from None
    except SignInRefused:
        raise Unauthenticated(BAD_CREDENTIALS, headers={"WWW-Authenticate": 'Bearer realm="passage"'}) from None
    except LockedOut as locked:
        seconds = max(1, math.ceil((locked.until - now).total_seconds()))
        raise Problem("Too many failed sign-in attempts for this username. Try again later.",
                      status=429, headers={"Retry-After": str(seconds)}, retry_after_seconds=seconds) from None
