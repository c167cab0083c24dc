"""Who is calling and may they: bearer token, revocation, per-user rate limit, role check, audit.

Every gateway route that needs a signed-in caller goes through :class:`Guard`, so the checks and
the audit records are the same for proxied routes, the timeline, reports and the admin API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import g, request
from pymongo.errors import PyMongoError

from gateway.admin.audit import AuditTrail, AuditUnavailable
from gateway.auth.ratelimit import Limit, RateLimited, RateLimiter
from gateway.auth.sessions import Revocations
from gateway.auth.tokens import (
    AccessClaims,
    SigningKeys,
    TokenInvalid,
    bearer_token,
    verify_access_claims,
)
from gateway.edge.routes import Route, match
from passage import logs
from passage.identity import VerifiedTokens
from passage.problems import Forbidden, Problem, Unauthenticated, Unavailable

log = logging.getLogger(__name__)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="passage"'}
SIGN_IN = (
    "Sign in and send the access token as 'Authorization: Bearer <token>'; it may have expired."
)


def too_many(retry_after: int, what: str = "Too many requests.") -> Problem:
    return Problem(
        f"{what} Try again in {retry_after} s.",
        status=429,
        headers={"Retry-After": str(retry_after)},
        retry_after_seconds=retry_after,
    )


@dataclass
class Guard:
    """The gateway's checks, bound to its keys and stores."""

    keys: SigningKeys
    revocations: Revocations
    limiter: RateLimiter
    api_limit: Limit
    trail: AuditTrail

    def __post_init__(self) -> None:
        # A token's signature is checked once; revocation is still asked on every request.
        self._verified = VerifiedTokens(self._claims_and_expiry)

    def _claims_and_expiry(self, token: str) -> tuple[AccessClaims, float]:
        claims = verify_access_claims(token, self.keys)
        return claims, claims.expires_at

    def caller(self, *, count: bool = True) -> AccessClaims:
        """The signed-in caller of this request (401 otherwise),
        counted against their rate limit."""
        try:
            claims = self._verified(bearer_token(request.headers.get("Authorization")))
        except TokenInvalid:
            raise Unauthenticated(SIGN_IN, headers=CHALLENGE) from None
        try:
            revoked = self.revocations.is_revoked(
                claims.jti, claims.identity.user_id, claims.issued_at, claims.family
            )
            if count:
                self.limiter.hit(f"api:{claims.identity.user_id}", self.api_limit)
        except PyMongoError:
            log.exception("revocation or rate-limit store unavailable")
            raise Unavailable(
                "The gateway cannot check your session right now. Try again shortly."
            ) from None
        except RateLimited as limited:
            raise too_many(limited.retry_after) from None
        if revoked:
            raise Unauthenticated(SIGN_IN, headers=CHALLENGE)
        g.caller = claims
        return claims

    def gate(self, routes: tuple[Route, ...]) -> Callable[[], None]:
        """A ``before_request`` hook: caller and role checked against ``routes`` before any input is
        read."""

        def check() -> None:
            claims = self.caller()
            found = match(request.path, request.method, routes)
            if found is None:
                raise Forbidden("Your role does not allow this.")
            self.require(
                claims, found.route.roles, found.resource, found.ids, audited=found.route.personal
            )

        return check

    def require(
        self,
        claims: AccessClaims,
        roles: tuple[str, ...],
        resource: str,
        ids: Mapping[str, str] | None = None,
        audited: bool = False,
    ) -> None:
        """403 (audited when ``audited``) unless the caller's role is one of ``roles``."""
        if claims.identity.role in roles:
            return
        if audited:
            self.record("denied", resource, ids, 403, claims)
        raise Forbidden("Your role does not allow this.")

    def record(
        self,
        action: str,
        resource: str,
        ids: Mapping[str, str] | None,
        outcome: int,
        claims: AccessClaims | None = None,
        user: str | None = None,
        required: bool = True,
        filters: Mapping[str, str] | None = None,
        returned: Mapping[str, list[str]] | None = None,
    ) -> None:
        """Append one audit record for this request; 503 when it cannot be written and ``required``.

        A change already made upstream is answered even so (not ``required``): a 503 would invite
        the client to make it twice. The failure is logged for operators either way.
        """
        who = claims.identity if claims else None
        try:
            self.trail.append(
                user=who.user_id if who else user,
                role=who.role if who else None,
                action=action,
                method=request.method,
                resource=resource,
                ids=ids,
                outcome=outcome,
                correlation_id=logs.correlation_id.get() or g.get("request_id"),
                filters=filters,
                returned=returned,
            )
        except AuditUnavailable:
            log.error("audit record could not be written", extra={"resource": resource})
            if not required:
                return
            raise Unavailable(
                "The request could not be recorded in the audit trail, so it is not served. "
                "Try again shortly."
            ) from None
