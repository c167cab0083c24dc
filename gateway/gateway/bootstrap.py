"""The one place that builds the gateway's concrete adapters (MongoDB, upstream client, keys).

Nothing here connects: the MongoDB client and the HTTP session are created on first use, in
the process that uses them (after gunicorn forks).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from passage.mongo import Mongo

from gateway import audit, lockout, ratelimit, report_store, sessions
from gateway.accounts import MongoUsers
from gateway.audit import AuditTrail
from gateway.config import GatewaySettings
from gateway.guard import Guard
from gateway.lockout import MongoLoginAttempts
from gateway.login import SignIn
from gateway.passwords import Passwords
from gateway.ratelimit import Limit, RateLimiter
from gateway.sessions import RefreshTokens, Revocations
from gateway.tokens import SigningKeys
from gateway.upstreams import Upstreams

INDEXES = [*lockout.INDEXES, *sessions.INDEXES, *ratelimit.INDEXES, *audit.INDEXES, *report_store.INDEXES]


@dataclass
class GatewayDeps:
    """Everything the gateway's routes use, built once per app."""

    mongo: Mongo
    sign_in: SignIn
    keys: SigningKeys
    upstreams: Upstreams
    guard: Guard
    refresh: RefreshTokens
    _indexes_ready: threading.Event = field(default_factory=threading.Event)

    @property
    def users(self) -> MongoUsers:
        return self.sign_in.users  # type: ignore[return-value]

    def ensure_indexes(self) -> None:
        """Apply index declarations once per process, on first use (retried after a failure)."""
        if not self._indexes_ready.is_set():
            self.mongo.ensure_indexes(INDEXES)
            self._indexes_ready.set()


def build_deps(settings: GatewaySettings, passwords: Passwords | None = None) -> GatewayDeps:
    """Adapters for ``settings``; ``passwords`` lets tests use cheaper Argon2 parameters."""
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    sign_in = SignIn(
        users=MongoUsers(mongo),
        attempts=MongoLoginAttempts(mongo, threshold=settings.lockout_threshold,
                                    lock_seconds=settings.lockout_seconds),
        passwords=passwords or Passwords(),
    )
    upstreams = Upstreams(settings.upstreams, connect_timeout=settings.upstream_connect_timeout,
                          read_timeout=settings.upstream_read_timeout, pool_size=settings.upstream_pool_size)
    keys = SigningKeys.from_secrets(settings.access_token_secret, settings.access_token_secret_previous)
    guard = Guard(keys=keys,
                  revocations=Revocations(mongo, settings.access_token_ttl_seconds, settings.revocation_cache_seconds),
                  limiter=RateLimiter(mongo), api_limit=Limit(settings.api_user_limit, settings.rate_window_seconds),
                  trail=AuditTrail(mongo))
    return GatewayDeps(mongo=mongo, sign_in=sign_in, keys=keys, upstreams=upstreams, guard=guard,
                       refresh=RefreshTokens(mongo, settings.refresh_token_ttl_seconds))
