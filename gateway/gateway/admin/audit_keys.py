"""The audit chain's keys: HMAC-SHA256 keys that live in the environment, never in the database.

Whoever can write the database but does not hold the key cannot make an edited or re-chained
record verify. Each record names the id of the key that sealed it (``key_id``, a fingerprint
derived from the key, which reveals nothing of it), so a rotation only adds a key: records keep
verifying with the key they were written under (``AUDIT_CHAIN_PREVIOUS_KEYS``). Standard library
only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

MIN_KEY_LENGTH = 32
# Development only (tests, a bare `flask run`); production refuses it, devstack generates its own.
DEV_CHAIN_KEY = "dev-only-audit-chain-key-change-me-0123456789"


@dataclass(frozen=True)
class ChainKey:
    """One HMAC key and its public fingerprint."""

    secret: bytes

    @classmethod
    def from_text(cls, text: str) -> ChainKey:
        return cls(text.encode())

    @property
    def key_id(self) -> str:
        """A fingerprint that names the key in each record (an HMAC of a fixed label,
        not a hash of the key)."""
        return hmac.new(self.secret, b"passage audit chain key id", hashlib.sha256).hexdigest()[:16]

    def seal(self, purpose: str, message: bytes) -> str:
        """HMAC-SHA256 of ``message``; ``purpose`` separates records from checkpoints."""
        return hmac.new(
            self.secret, purpose.encode() + b"\x00" + message, hashlib.sha256
        ).hexdigest()


@dataclass(frozen=True)
class Keyring:
    """The key new records are sealed with, and the retired ones that still verify old records."""

    current: ChainKey
    retired: tuple[ChainKey, ...] = ()

    @classmethod
    def from_texts(cls, current: str, retired: Iterable[str] = ()) -> Keyring:
        return cls(ChainKey.from_text(current), tuple(ChainKey.from_text(t) for t in retired if t))

    def get(self, key_id: object) -> ChainKey | None:
        """The key with ``key_id``, or None when this ring does not hold it."""
        return next((k for k in (self.current, *self.retired) if k.key_id == key_id), None)

    def seals_match(self, key_id: object, purpose: str, message: bytes, seal: object) -> bool:
        key = self.get(key_id)
        return (
            key is not None
            and isinstance(seal, str)
            and hmac.compare_digest(key.seal(purpose, message), seal)
        )
