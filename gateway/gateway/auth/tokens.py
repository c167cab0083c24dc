"""Access tokens handed to signed-in staff: short-lived HS256 JWTs with a pinned algorithm.

Each key has an id (``kid`` header) derived from the secret, so a new ``ACCESS_TOKEN_SECRET``
can be rolled out while tokens signed with ``ACCESS_TOKEN_SECRET_PREVIOUS`` stay valid until
they expire. The audience differs from the internal identity's, so neither token passes as the
other.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from gateway.auth.accounts import USER_ROLES
from passage.identity import Identity

ALGORITHM = "HS256"
ISSUER = "passage-gateway"
AUDIENCE = "passage-api"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss", "jti"]


class TokenInvalid(Exception):
    """The bearer token is missing, expired, forged or malformed (the reason is for logs only)."""


def key_id(secret: str) -> str:
    """A public, stable name for a key that reveals nothing useful about it."""
    return hashlib.sha256(b"passage-access-token-kid:" + secret.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKeys:
    """The key that signs new tokens and every key (by kid) that may still verify one."""

    current_kid: str
    secrets: Mapping[str, str]

    @classmethod
    def from_secrets(cls, current: str, previous: str = "") -> SigningKeys:
        keys = {key_id(current): current}
        if previous and previous != current:
            keys[key_id(previous)] = previous
        return cls(current_kid=key_id(current), secrets=keys)


def issue_access_token(
    identity: Identity,
    keys: SigningKeys,
    *,
    ttl_seconds: int,
    now: float | None = None,
    family: str | None = None,
) -> str:
    """A signed token saying who ``identity`` is, valid for ``ttl_seconds``.

    ``family`` names the refresh-token family the token was issued with, so signing out with the
    access token alone can end the whole session (refresh tokens and every access token of it).
    """
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": identity.user_id,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": str(uuid.uuid4()),
        "role": identity.role,
        "centres": list(identity.centres),
        "member_states": list(identity.member_states),
        "org": identity.organisation,
        "all": identity.all_scopes,
    }
    if family is not None:
        claims["fam"] = family
    return jwt.encode(
        claims,
        keys.secrets[keys.current_kid],
        algorithm=ALGORITHM,
        headers={"kid": keys.current_kid},
    )


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says: who, and the token's own id and lifetime (for revocation)."""

    identity: Identity
    jti: str
    issued_at: int
    expires_at: int
    family: str | None = None


def verify_access_token(token: str, keys: SigningKeys, *, leeway: int = 5) -> Identity:
    """The identity a valid token carries, or :class:`TokenInvalid`."""
    return verify_access_claims(token, keys, leeway=leeway).identity


def verify_access_claims(token: str, keys: SigningKeys, *, leeway: int = 5) -> AccessClaims:
    """The claims of a valid token, or :class:`TokenInvalid`."""
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        secret = keys.secrets.get(kid) if isinstance(kid, str) else None
        if secret is None or header.get("alg") != ALGORITHM:
            raise TokenInvalid("unknown key or algorithm")
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=leeway,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise TokenInvalid(type(exc).__name__) from None
    jti, iat, exp, family = (
        claims.get("jti"),
        claims.get("iat"),
        claims.get("exp"),
        claims.get("fam"),
    )
    if not isinstance(jti, str) or not jti or not isinstance(iat, int) or not isinstance(exp, int):
        raise TokenInvalid("bad jti, iat or exp")
    if family is not None and not isinstance(family, str):
        raise TokenInvalid("bad family")
    return AccessClaims(_identity(claims), jti, iat, exp, family)


def _identity(claims: Mapping[str, Any]) -> Identity:
    role, sub = claims.get("role"), claims.get("sub")
    if role not in USER_ROLES or not isinstance(sub, str) or not sub:
        raise TokenInvalid("bad role or subject")
    org = claims.get("org")
    return Identity(
        user_id=sub,
        role=role,
        centres=_strings(claims.get("centres")),
        member_states=_strings(claims.get("member_states")),
        organisation=org if isinstance(org, str) else None,
        all_scopes=claims.get("all") is True,
    )


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TokenInvalid("bad scope claim")
    return tuple(value)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise TokenInvalid("no bearer token")
    return token
