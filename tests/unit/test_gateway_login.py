"""Signing in and account rules, driven with in-memory fakes of the account and attempt stores."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from gateway.accounts import AccountError, User, new_user
from gateway.login import LockedOut, SignIn, SignInRefused
from gateway.passwords import Passwords, password_problem

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"


class MemoryUsers:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}

    def get(self, username: str) -> User | None:
        return self.users.get(username)

    def add(self, user: User) -> bool:
        return self.users.setdefault(user.username, user) is user

    def replace_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        user = self.users.get(username)
        if user is None or user.password_hash != old_hash:
            return False
        self.users[username] = User(**{**user.__dict__, "password_hash": new_hash})
        return True

    def set_password_hash(self, username: str, new_hash: str) -> bool:
        user = self.users[username]
        return self.replace_password_hash(username, user.password_hash, new_hash)

    def disable(self, username: str) -> bool:
        user = self.users.get(username)
        if user:
            self.users[username] = User(**{**user.__dict__, "disabled": True})
        return user is not None


class MemoryAttempts:
    """Same rules as the MongoDB adapter (sliding window, lock after the threshold)."""

    def __init__(self, threshold: int = 5, lock: timedelta = timedelta(minutes=15)) -> None:
        self.records: dict[str, dict] = {}
        self.threshold, self.lock = threshold, lock

    def locked_until(self, username: str, now: datetime) -> datetime | None:
        until = self.records.get(username, {}).get("locked_until")
        return until if until and until > now else None

    def record_failure(self, username: str, now: datetime) -> None:
        record = self.records.get(username)
        if record is None or record["expires_at"] <= now:
            record = self.records[username] = {"failures": 0}
        record["failures"] += 1
        record["expires_at"] = now + self.lock
        if record["failures"] >= self.threshold:
            record["locked_until"] = record["expires_at"] = now + self.lock

    def clear(self, username: str) -> None:
        self.records.pop(username, None)


@pytest.fixture
def sign_in() -> SignIn:
    users = MemoryUsers()
    users.add(new_user("staff.baku", "centre_staff", CHEAP.hash(PASSWORD), centres=["baku"]))
    return SignIn(users=users, attempts=MemoryAttempts(), passwords=CHEAP)


def test_right_password_signs_in_and_clears_failures(sign_in):
    for _ in range(3):
        with pytest.raises(SignInRefused):
            sign_in("staff.baku", "wrong password!", T0)
    user = sign_in("staff.baku", PASSWORD, T0)
    assert user.identity().centres == ("baku",)
    assert sign_in.attempts.records == {}


def test_unknown_user_and_wrong_password_raise_the_same_refusal(sign_in):
    with pytest.raises(SignInRefused) as unknown:
        sign_in("nobody.here", PASSWORD, T0)
    with pytest.raises(SignInRefused) as wrong:
        sign_in("staff.baku", "not the password", T0)
    assert type(unknown.value) is type(wrong.value) and str(unknown.value) == str(wrong.value)


def test_disabled_user_is_refused_even_with_the_right_password(sign_in):
    sign_in.users.disable("staff.baku")
    with pytest.raises(SignInRefused):
        sign_in("staff.baku", PASSWORD, T0)


def test_fifth_failure_locks_for_fifteen_minutes_then_counting_restarts(sign_in):
    for _ in range(5):
        with pytest.raises(SignInRefused):
            sign_in("staff.baku", "wrong password!", T0)
    with pytest.raises(LockedOut) as locked:
        sign_in("staff.baku", PASSWORD, T0 + timedelta(minutes=1))
    assert locked.value.until == T0 + timedelta(minutes=15)
    assert sign_in("staff.baku", PASSWORD, T0 + timedelta(minutes=15, seconds=1)).username == "staff.baku"


def test_unknown_usernames_lock_too_so_a_lock_reveals_nothing(sign_in):
    for _ in range(5):
        with pytest.raises(SignInRefused):
            sign_in("nobody.here", "whatever123", T0)
    with pytest.raises(LockedOut):
        sign_in("nobody.here", "whatever123", T0)


def test_hash_made_with_old_parameters_is_replaced_on_sign_in(sign_in):
    old = Passwords(PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1))
    sign_in.users.set_password_hash("staff.baku", old.hash(PASSWORD))
    sign_in("staff.baku", PASSWORD, T0)
    stored = sign_in.users.get("staff.baku").password_hash
    assert "m=8192" in stored and not CHEAP.needs_rehash(stored)
    assert sign_in("staff.baku", PASSWORD, T0).username == "staff.baku"


def test_corrupt_stored_hash_is_a_refusal_not_a_crash(sign_in):
    sign_in.users.set_password_hash("staff.baku", "not-an-argon2-hash")
    with pytest.raises(SignInRefused):
        sign_in("staff.baku", PASSWORD, T0)


@pytest.mark.parametrize("username", ["ab", "Admin", "1admin", "ad min", "a" * 65, "admin$", "$where", "ädmin", "admin\n"])
def test_usernames_outside_the_format_are_refused(username):
    with pytest.raises(AccountError):
        new_user(username, "auditor", "h")


@pytest.mark.parametrize("role, scopes", [
    ("centre_staff", {}),
    ("centre_staff", {"centres": ["Baku!"]}),
    ("liaison_officer", {}),
    ("liaison_officer", {"member_states": ["DE"], "all_scopes": True}),
    ("liaison_officer", {"member_states": ["de"]}),
    ("partner", {}),
    ("auditor", {"centres": ["baku"]}),
    ("admin", {"organisation": "IOM"}),
    ("system", {}),
])
def test_role_and_scopes_must_fit_together(role, scopes):
    with pytest.raises(AccountError):
        new_user("someone", role, "h", **scopes)


def test_valid_scoped_accounts():
    assert new_user("liaison", "liaison_officer", "h", all_scopes=True).identity().all_scopes
    assert new_user("li.de", "liaison_officer", "h", member_states=["DE", "DE", "FR"]).member_states == ("DE", "FR")
    assert new_user("partner.iom", "partner", "h", organisation="IOM").identity().organisation == "IOM"


@pytest.mark.parametrize("password, ok", [("short", False), ("twelve chars", True), (" padded password ", False),
                                          ("x" * 1025, False)])
def test_password_rules(password, ok):
    assert (password_problem(password) is None) == ok
