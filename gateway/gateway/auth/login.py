"""Signing in: check a username and password without revealing which of the two was wrong.

Depends only on the ``Users`` and ``LoginThrottle`` protocols and on ``Passwords``, so unit
tests drive it with in-memory fakes and the gateway with the MongoDB adapters. Failures slow down
the (account, client address) pair that makes them, never the account everywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from gateway.auth.accounts import User, Users, recorded_name
from gateway.auth.passwords import Passwords
from gateway.auth.throttle import LoginThrottle

log = logging.getLogger(__name__)


class SignInRefused(Exception):
    """Wrong username, wrong password or disabled account: deliberately indistinguishable."""


class Throttled(Exception):
    """Too many recent failures of this account from this client address;
    try again after ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__("throttled")
        self.until = until


@dataclass(frozen=True)
class SignIn:
    """What signing in needs: the accounts, the throttle,
    the password checker and the naming key."""

    users: Users
    throttle: LoginThrottle
    passwords: Passwords
    name_key: bytes = b"development-only-name-key"

    def recorded(self, username: str) -> str:
        """``username`` as it may be written to audit, throttle and rate-limit records
        (never a typo'd secret)."""
        return recorded_name(username, self.name_key)

    def __call__(self, username: str, password: str, client: str, now: datetime) -> User:
        """The signed-in user, or :class:`SignInRefused` / :class:`Throttled`."""
        account = self.recorded(username)
        until = self.throttle.wait_until(account, client, now)
        if until is not None:
            raise Throttled(until)
        user = self.users.get(username) if account == username else None
        if user is None:
            ok = self.passwords.check_unknown(password)
        else:
            ok = self.passwords.check(user.password_hash, password) and not user.disabled
        if user is None or not ok:
            self.throttle.record_failure(account, client, now)
            log.info("sign-in refused", extra={"event": "login_failed"})
            raise SignInRefused()
        self.throttle.clear(account, client)
        self._upgrade_hash(user, password)
        log.info("signed in", extra={"event": "login", "user_id": user.username, "role": user.role})
        return user

    def _upgrade_hash(self, user: User, password: str) -> None:
        """Re-hash with today's parameters after they changed (only possible with the password)."""
        if self.passwords.needs_rehash(user.password_hash):
            self.users.replace_password_hash(
                user.username, user.password_hash, self.passwords.hash(password)
            )
