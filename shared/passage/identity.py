"""Internal identity: the gateway signs who is calling; services verify and enforce scopes.

The token is a short-lived HS256 JWT (PyJWT) with a pinned algorithm and audience, carrying
the user id, role and scopes. Services refuse requests that lack a valid one (defence in depth).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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


T = TypeVar("T")


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


K = TypeVar("K")
V = TypeVar("V")


class Remembered(Generic[K, V]):
    """``compute(key)`` done once per key and kept until the moment it gave with its value.

    ``compute`` returns the value and the epoch second it stops being good (it raises when there
    is no value, and nothing is kept then). At most ``size`` keys are kept, the oldest dropped
    first; a key whose moment has passed is computed again.
    """

    def __init__(
        self,
        compute: Callable[[K], tuple[V, float]],
        *,
        size: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._compute, self.size, self.clock = compute, size, clock
        self._kept: dict[K, tuple[V, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, key: K) -> V:
        kept = self._kept.get(key)
        if kept is not None and self.clock() < kept[1]:
            return kept[0]
        value, good_until = self._compute(key)
        with self._lock:
            self._kept.pop(key, None)
            while len(self._kept) >= self.size:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = (value, good_until)
        return value


class VerifiedTokens(Remembered[str, T]):
    """What signed tokens already verified said, until they expire: the same bytes verify the same
    way, so a caller's second request costs a dictionary lookup instead of a signature check.

    ``verify(token)`` gives what the token says and the epoch second it expires; a token is looked
    up by its exact text, and once its expiry has passed it is verified in full again (and
    refused). A bad token is never kept.
    """


class IdentitySigner:
    """Signs the identities the gateway forwards, one token per identity for a quarter of its life.

    Signing is a JSON encoding and an HMAC on every forwarded request; a caller's identity does not
    change between two of their requests, so the token signed for the first is reused while at
    least three quarters of its ``ttl_seconds`` remain (15 s of a minute). A token still expires
    ``ttl_seconds`` after it was signed, as before: a reused one is no longer-lived, only no longer
    unique per request (services never used its ``jti``). At most ``size`` identities are kept.
    """

    def __init__(
        self,
        secret: str,
        ttl_seconds: int = 60,
        *,
        size: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secret, self.ttl_seconds, self.clock = secret, ttl_seconds, clock
        self._signed = Remembered[Identity, str](self._sign, size=size, clock=clock)

    def __call__(self, identity: Identity) -> str:
        return self._signed(identity)

    def _sign(self, identity: Identity) -> tuple[str, float]:
        now = self.clock()
        token = sign_identity(identity, self.secret, ttl_seconds=self.ttl_seconds, now=now)
        return token, int(now) + self.ttl_seconds / 4


def identity_verifier(secret: str, *, leeway: int = 5) -> VerifiedTokens[Identity]:
    """``verify(token)``: :func:`verify_identity` remembered per token until it expires."""
    return VerifiedTokens(lambda token: _identity_and_expiry(token, secret, leeway))


def verify_identity(token: str | None, secret: str, *, leeway: int = 5) -> Identity:
    """Decode and check signature, algorithm, audience, issuer and expiry."""
    return _identity_and_expiry(token, secret, leeway)[0]


def _identity_and_expiry(token: str | None, secret: str, leeway: int) -> tuple[Identity, float]:
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
    ), float(claims["exp"])


def _strings(value: Any) -> Iterable[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
