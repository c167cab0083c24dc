"""The one place that builds the gateway's concrete adapters (MongoDB, upstream client, keys).

Nothing here connects: the MongoDB client and the HTTP session are created on first use, in
the process that uses them (after gunicorn forks).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from gateway.admin import audit
from gateway.admin.audit import AuditTrail, timestamp
from gateway.admin.audit_checkpoints import Checkpointer, CheckpointFile
from gateway.admin.audit_keys import Keyring
from gateway.auth import ratelimit, sessions, throttle
from gateway.auth.accounts import MongoUsers
from gateway.auth.guard import Guard
from gateway.auth.login import SignIn
from gateway.auth.passwords import Passwords
from gateway.auth.ratelimit import Limit, RateLimiter
from gateway.auth.sessions import RefreshTokens, Revocations
from gateway.auth.throttle import Backoff, MongoLoginThrottle
from gateway.auth.tokens import SigningKeys
from gateway.composition import report_store
from gateway.config import GatewaySettings
from gateway.edge.upstreams import Upstreams
from passage.mongo import Mongo

INDEXES = [
    *throttle.INDEXES,
    *sessions.INDEXES,
    *ratelimit.INDEXES,
    *audit.INDEXES,
    *report_store.INDEXES,
]


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
        return self.sign_in.users

    def ensure_indexes(self) -> None:
        """Apply index declarations once per process, on first use (retried after a failure)."""
        if not self._indexes_ready.is_set():
            self.mongo.ensure_indexes(INDEXES)
            self._indexes_ready.set()


def name_key(secret: str) -> bytes:
    """The key of the keyed hash that stands for an invalid username in records (derived,
    not stored)."""
    return hashlib.sha256(b"passage-recorded-username:" + secret.encode()).digest()


def build_deps(settings: GatewaySettings, passwords: Passwords | None = None) -> GatewayDeps:
    """Adapters for ``settings``; ``passwords`` lets tests use cheaper Argon2 parameters."""
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    sign_in = SignIn(
        users=MongoUsers(mongo),
        throttle=MongoLoginThrottle(
            mongo,
            Backoff(
                settings.throttle_free_failures,
                settings.throttle_base_seconds,
                settings.throttle_max_seconds,
            ),
        ),
        passwords=passwords or Passwords(),
        name_key=name_key(settings.access_token_secret),
    )
    upstreams = Upstreams(
        settings.upstreams,
        connect_timeout=settings.upstream_connect_timeout,
        read_timeout=settings.upstream_read_timeout,
        pool_size=settings.upstream_pool_size,
    )
    keys = SigningKeys.from_secrets(
        settings.access_token_secret, settings.access_token_secret_previous
    )
    guard = Guard(
        keys=keys,
        revocations=Revocations(
            mongo, settings.access_token_ttl_seconds, settings.revocation_cache_seconds
        ),
        limiter=RateLimiter(mongo),
        api_limit=Limit(settings.api_user_limit, settings.rate_window_seconds),
        trail=build_trail(mongo, settings),
    )
    return GatewayDeps(
        mongo=mongo,
        sign_in=sign_in,
        keys=keys,
        upstreams=upstreams,
        guard=guard,
        refresh=RefreshTokens(mongo, settings.refresh_token_ttl_seconds),
    )


def audit_keyring(settings: GatewaySettings) -> Keyring:
    return Keyring.from_texts(settings.audit_chain_key, settings.audit_chain_previous_keys)


def build_trail(mongo: Mongo, settings: GatewaySettings) -> AuditTrail:
    """The audit trail sealed with the settings' key, checkpointed to their file when one is set."""
    trail = AuditTrail(mongo, audit_keyring(settings))
    checkpointer = build_checkpointer(trail, settings)
    if checkpointer is not None:
        trail.on_written = checkpointer.written
    return trail


def build_checkpointer(
    trail: AuditTrail, settings: GatewaySettings, *, stored: bool = False
) -> Checkpointer | None:
    """Checkpoints of this process's segment from memory, or of every ``stored`` one (the CLI)."""
    if not settings.audit_checkpoint_file:
        return None
    return Checkpointer(
        CheckpointFile(settings.audit_checkpoint_file),
        trail.keyring.current,
        trail.stored_heads if stored else trail.heads,
        timestamp,
        settings.audit_checkpoint_seconds,
    )
