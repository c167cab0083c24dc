"""Server-side sessions of the staff web UI, kept in the gateway's MongoDB.

The browser holds only an opaque random id (cookie); its SHA-256 is the document ``_id``, so a
leaked database does not hand out live sessions. Each session has a per-session CSRF token, an
idle expiry renewed on use and an absolute end. A TTL index removes stale documents; expiry is
always checked in code as well.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from passage.mongo import Index, Mongo, safe_value, update_one_and_read

COLLECTION = "ui_sessions"
INDEXES = [
    Index(COLLECTION, [("expires_at", 1)], "ui_sessions_expire", expire_after_seconds=0),
    Index(COLLECTION, [("username", 1)], "ui_sessions_by_user"),
]


@dataclass(frozen=True)
class UiSession:
    """One signed-in browser: who, its CSRF token and when it began (for revocation checks)."""

    key: str
    username: str
    csrf: str
    created_at: datetime
    locale: str = ""


def _digest(token: str) -> str:
    return hashlib.sha256(b"passage-ui-session:" + token.encode()).hexdigest()


def now_utc() -> datetime:
    return datetime.now(UTC)


class UiSessions:
    """Create, read (renewing the idle expiry) and end UI sessions."""

    def __init__(self, mongo: Mongo, idle_seconds: int, max_seconds: int) -> None:
        self.mongo = mongo
        self.idle = timedelta(seconds=idle_seconds)
        self.max = timedelta(seconds=max_seconds)

    @property
    def _collection(self) -> Any:
        return self.mongo.collection(COLLECTION)

    def create(
        self, username: str, now: datetime | None = None, locale: str = ""
    ) -> tuple[str, UiSession]:
        """A new session for ``username`` (reading ``locale``): the cookie value and the session."""
        now = now or now_utc()
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        key = _digest(token)
        self._collection.insert_one(
            {
                "_id": key,
                "username": username,
                "csrf": csrf,
                "created_at": now,
                "locale": locale,
                "ends_at": now + self.max,
                "expires_at": now + self.idle,
            }
        )
        return token, UiSession(key, username, csrf, now, locale)

    def get(self, token: str, now: datetime | None = None) -> UiSession | None:
        """The live session for a cookie value (its idle expiry renewed), or None."""
        if not token or len(token) > 100:
            return None
        now = now or now_utc()
        key = _digest(token)
        doc = update_one_and_read(  # every page asks: not findAndModify, which SecantusDB scans for
            self._collection,
            {"_id": safe_value(key), "expires_at": {"$gt": now}, "ends_at": {"$gt": now}},
            {"$set": {"expires_at": now + self.idle}},
        )
        if doc is None:
            return None
        created = doc["created_at"]
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        return UiSession(key, doc["username"], doc["csrf"], created, str(doc.get("locale") or ""))

    def end(self, key: str) -> None:
        self._collection.delete_one({"_id": safe_value(key)})

    def set_locale(self, key: str, locale: str) -> None:
        """The language this signed-in browser reads the UI in."""
        self._collection.update_one(
            {"_id": safe_value(key)}, {"$set": {"locale": safe_value(locale)}}
        )
