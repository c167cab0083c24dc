"""Password hashing with Argon2id (memory-hard), the dummy check that hides unknown users, and the
rule a new password must meet.

Pure computation: no database, no Flask. ``argon2-cffi``'s defaults follow RFC 9106's
low-memory recommendation; a hash made with older parameters is flagged for rehash on sign-in.
A new password needs 12+ characters, must not be on the list of the 30,000 most common leaked
passwords that ships with the ``zxcvbn`` package (MIT licence; compiled by its authors from
breach corpora), and must score at least 3 of 4 on zxcvbn's offline guessability estimate
(repeats, keyboard walks, dates, dictionary words and the username are all counted as easy).
"""

from __future__ import annotations

import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MIN_STRENGTH = 3  # zxcvbn's score: 3 = "safely unguessable", ~10^8+ guesses needed
STRENGTH_CHARS = 100  # zxcvbn's matching grows fast with length; 100 characters say all it can


class Passwords:
    """Hash and check passwords; ``check_unknown`` spends the same time as a real check."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def check(self, stored_hash: str, password: str) -> bool:
        """True when ``password`` matches ``stored_hash``; a corrupt hash is a mismatch."""
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError, UnicodeEncodeError):
            # UnicodeEncodeError: an unpaired surrogate ("\ud800" in JSON) is no one's password
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def check_unknown(self, password: str) -> bool:
        """Verify against a throw-away hash so an unknown username costs as long as a known one."""
        self.check(self._dummy_hash(), password)
        return False

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            with self._lock:
                if self._dummy is None:
                    self._dummy = self.hasher.hash(secrets.token_urlsafe(24))
        return self._dummy


def new_password() -> str:
    """A random password for demo accounts (about 144 bits)."""
    return secrets.token_urlsafe(18)


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why ``password`` may not be set (for ``username``), or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password must have at most {MAX_PASSWORD_LENGTH} characters."
    if password.strip() != password:
        return "The password must not start or end with white space."
    if not _is_text(password):
        return "The password contains characters that are not text (unpaired surrogates)."
    if password.lower() in _common_passwords():
        return "This password is on a list of common and breached passwords. Choose another one."
    return _weakness(password, username)


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _weakness(password: str, username: str | None) -> str | None:
    from zxcvbn import (
        zxcvbn,
    )  # imported on first use: it builds its dictionaries (~0.5 s) on import

    estimate = zxcvbn(password[:STRENGTH_CHARS], user_inputs=[username] if username else [])
    if estimate["score"] >= MIN_STRENGTH:
        return None
    warning = estimate["feedback"].get("warning") or "it follows a pattern that is quick to guess"
    return (
        f"This password is too easy to guess: {warning.rstrip('.')}. "
        "A few uncommon words make a strong one."
    )


def _common_passwords() -> frozenset[str]:
    global _COMMON
    if _COMMON is None:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS

        _COMMON = frozenset(FREQUENCY_LISTS["passwords"])
    return _COMMON


_COMMON: frozenset[str] | None = None
