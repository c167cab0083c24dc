"""Refresh tokens and revocation, kept in MongoDB so every gateway worker sees the same state.

A refresh token is an opaque random string; only its SHA-256 is stored. Each use rotates it (the
old one is marked used, a new one of the same *family* is issued); presenting a used token again
means it was stolen or replayed, so the whole family is revoked. Access tokens are revoked by
``jti`` until they expire, per session (the refresh family the token names) when its holder signs
out, or per user (``not_before``) when an account is disabled or reset.
The proxy's check keeps a per-process cache of at most ``cache_seconds``.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from passage.mongo import Index, Mongo, safe_value, update_one_and_read

REFRESH = "refresh_tokens"
REVOKED = "revocations"
INDEXES = [
    Index(REFRESH, [("expires_at", 1)], "refresh_tokens_expire", expire_after_seconds=0),
    Index(REFRESH, [("family", 1)], "refresh_tokens_by_family"),
    Index(REFRESH, [("username", 1)], "refresh_tokens_by_user"),
    Index(REVOKED, [("expires_at", 1)], "revocations_expire", expire_after_seconds=0),
]


class RefreshRefused(Exception):
    """Unknown, expired, revoked or re-used refresh token (``reused`` says which for the audit)."""

    def __init__(self, reused: bool = False, username: str | None = None) -> None:
        super().__init__("refresh refused")
        self.reused, self.username = reused, username


@dataclass(frozen=True)
class Issued:
    token: str
    username: str
    family: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokens:
    """The ``refresh_tokens`` collection: issue, rotate, revoke."""

    def __init__(self, mongo: Mongo, ttl_seconds: int) -> None:
        self.mongo, self.ttl = mongo, timedelta(seconds=ttl_seconds)

    @property
    def _collection(self) -> Any:
        return self.mongo.collection(REFRESH)

    def issue(self, username: str, now: datetime, family: str | None = None) -> Issued:
        token = secrets.token_urlsafe(32)
        family = family or uuid.uuid4().hex
        self._collection.insert_one(
            {
                "_id": digest(token),
                "username": username,
                "family": family,
                "issued_at": now,
                "expires_at": now + self.ttl,
                "used": False,
                "revoked": False,
            }
        )
        return Issued(token, username, family)

    def rotate(self, token: str, now: datetime) -> Issued:
        """A new token of the same family for a valid unused ``token``;
        a re-use revokes the family."""
        key = digest(token)
        doc = update_one_and_read(  # the conditional update is the claim: one use wins
            self._collection,
            {"_id": key, "used": False, "revoked": False, "expires_at": {"$gt": now}},
            {"$set": {"used": True, "used_at": now}},
        )
        if doc is not None:
            return self.issue(doc["username"], now, family=doc["family"])
        known = self._collection.find_one({"_id": key})
        if known is not None and known.get("used"):
            self.revoke_family(known["family"])
            raise RefreshRefused(reused=True, username=known["username"])
        raise RefreshRefused(username=known["username"] if known else None)

    def owner(self, token: str) -> dict[str, Any] | None:
        return self._collection.find_one({"_id": digest(token)}, {"username": 1, "family": 1})

    def revoke_family(self, family: str) -> None:
        self._collection.update_many({"family": safe_value(family)}, {"$set": {"revoked": True}})

    def revoke_user(self, username: str) -> None:
        self._collection.update_many(
            {"username": safe_value(username)}, {"$set": {"revoked": True}}
        )


class Revocations:
    """Revoked access tokens (by jti) and users (tokens issued before ``not_before``)."""

    def __init__(self, mongo: Mongo, access_ttl_seconds: int, cache_seconds: float = 2.0) -> None:
        self.mongo, self.access_ttl, self.cache_seconds = mongo, access_ttl_seconds, cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    @property
    def _collection(self) -> Any:
        return self.mongo.collection(REVOKED)

    def revoke_token(self, jti: str, expires: datetime) -> None:
        self._cache.clear()  # this process sees its own revocations at once
        self._collection.update_one(
            {"_id": f"jti:{safe_value(jti)}"}, {"$set": {"expires_at": expires}}, upsert=True
        )

    def revoke_family(self, family: str, now: datetime) -> None:
        """Every access token issued with refresh family ``family`` stops working
        (a signed-out session)."""
        self._cache.clear()
        self._collection.update_one(
            {"_id": f"family:{safe_value(family)}"},
            {"$set": {"expires_at": now + timedelta(seconds=self.access_ttl + 60)}},
            upsert=True,
        )

    def revoke_user(self, username: str, now: datetime) -> None:
        """Every access token of ``username`` issued until now stops working."""
        self._cache.clear()
        self._collection.update_one(
            {"_id": f"user:{safe_value(username)}"},
            {
                "$set": {
                    "not_before": now.timestamp(),
                    "expires_at": now + timedelta(seconds=self.access_ttl + 60),
                }
            },
            upsert=True,
        )

    def is_revoked(
        self, jti: str, username: str, issued_at: int, family: str | None = None
    ) -> bool:
        key = (jti, username)
        clock = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > clock:
            return cached[1]
        revoked = self._lookup(jti, username, issued_at, family)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (clock + self.cache_seconds, revoked)
        return revoked

    def _lookup(self, jti: str, username: str, issued_at: int, family: str | None) -> bool:
        keys = [f"jti:{jti}", f"user:{username}"] + ([f"family:{family}"] if family else [])
        for doc in self._collection.find({"_id": {"$in": keys}}):
            if doc["_id"].startswith(("jti:", "family:")):
                return True
            if issued_at < float(doc.get("not_before", 0)):
                return True
        return False


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
