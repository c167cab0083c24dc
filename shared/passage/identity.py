"""Internal identity: the gateway signs who is calling; services verify and enforce scopes.

The token is a short-lived HS256 JWT (PyJWT) with a pinned algorithm and audience, carrying
the user id, role and scopes. Services refuse requests that lack a valid one (defence in depth).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt

ISSUER = "passage-gateway"
AUDIENCE = "passage-services"
ALGORITHM = "HS256"
HEADER = "X-Passage-Identity"
ROLES = (
    "admin",
    "centre_staff",
    "liaison_officer",
    "avr_caseworker",
    "partner",
    "auditor",
    "system",
)


class IdentityError(Exception):
    """The internal identity token is missing, expired, forged or malformed."""


@dataclass(frozen=True)
class Identity:
    """Who is acting, in which role, over which scopes (centre ids, member states, org)."""

    user_id: str
    role: str
    centres: tuple[str, ...] = ()
    member_states: tuple[str, ...] = ()
    organisation: str | None = None
    all_scopes: bool = False

    def may_see_centre(self, centre_id: str) -> bool:
        if self.role in ("admin", "auditor", "system") or self.all_scopes:
            return True
        return self.role == "centre_staff" and centre_id in self.centres

    def may_see_member_state(self, member_state: str) -> bool:
        if self.role in ("admin", "auditor", "system") or self.all_scopes:
            return True
        return self.role == "liaison_officer" and member_state in self.member_states

    def has_role(self, *roles: str) -> bool:
        return self.role in roles or self.role == "admin"


def sign_identity(
    identity: Identity, secret: str, *, ttl_seconds: int = 60, now: float | None = None
) -> str:
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": str(uuid.uuid4()),
        "sub": identity.user_id,
        "role": identity.role,
        "centres": list(identity.centres),
        "member_states": list(identity.member_states),
        "org": identity.organisation,
        "all": identity.all_scopes,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_identity(token: str | None, secret: str, *, leeway: int = 5) -> Identity:
    """Decode and check signature, algorithm, audience, issuer and expiry."""
    if not token:
        raise IdentityError("no internal identity")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=leeway,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise IdentityError(f"invalid internal identity: {type(exc).__name__}") from None
    role = claims.get("role")
    if role not in ROLES:
        raise IdentityError("unknown role")
    return Identity(
        user_id=str(claims["sub"]),
        role=role,
        centres=tuple(_strings(claims.get("centres"))),
        member_states=tuple(_strings(claims.get("member_states"))),
        organisation=claims.get("org") if isinstance(claims.get("org"), str) else None,
        all_scopes=claims.get("all") is True,
    )


def _strings(value: Any) -> Iterable[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
