"""Signing in: check a username and password without revealing which of the two was wrong.

Depends only on the ``Users`` and ``LoginAttempts`` protocols and on ``Passwords``, so unit
tests drive it with in-memory fakes and the gateway with the MongoDB adapters.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from gateway.accounts import User, Users
from gateway.lockout import LoginAttempts
from gateway.passwords import Passwords

log = logging.getLogger(__name__)


class SignInRefused(Exception):
    """Wrong username, wrong password or disabled account: deliberately indistinguishable."""


class LockedOut(Exception):
    """Too many failed attempts for this username; try again after ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__("locked out")
        self.until = until


@dataclass(frozen=True)
class SignIn:
    """What signing in needs: the accounts, the attempt counter and the password checker."""

    users: Users
    attempts: LoginAttempts
    passwords: Passwords

    def __call__(self, username: str, password: str, now: datetime) -> User:
        """The signed-in user, or :class:`SignInRefused` / :class:`LockedOut`."""
        until = self.attempts.locked_until(username, now)
        if until is not None:
            raise LockedOut(until)
        user = self.users.get(username)
        if user is None:
            ok = self.passwords.check_unknown(password)
        else:
            ok = self.passwords.check(user.password_hash, password) and not user.disabled
        if user is None or not ok:
            self.attempts.record_failure(username, now)
            log.info("sign-in refused", extra={"event": "login_failed"})
            raise SignInRefused()
        self.attempts.clear(username)
        self._upgrade_hash(user, password)
        log.info("signed in", extra={"event": "login", "user_id": user.username, "role": user.role})
        return user

    def _upgrade_hash(self, user: User, password: str) -> None:
        """Re-hash with today's parameters after they changed (only possible with the password)."""
        if self.passwords.needs_rehash(user.password_hash):
            self.users.replace_password_hash(user.username, user.password_hash, self.passwords.hash(password))
