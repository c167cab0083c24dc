"""Signing in and account rules, driven with in-memory fakes of the account and attempt stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from gateway.auth.accounts import AccountError, User, new_user, recorded_name
from gateway.auth.login import SignIn, SignInRefused, Throttled
from gateway.auth.passwords import Passwords, password_problem
from gateway.auth.throttle import Backoff

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
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


class MemoryThrottle:
    """Same rules as the MongoDB adapter: per (account, client), free failures, then doubling
    delays."""

    def __init__(self, backoff: Backoff | None = None) -> None:
        self.records: dict[tuple[str, str], dict] = {}
        self.backoff = backoff or Backoff()

    def wait_until(self, account: str, client: str, now: datetime) -> datetime | None:
        record = self.records.get((account, client))
        if record is None or record["expires_at"] <= now:
            return None
        return record["wait_until"] if record["wait_until"] > now else None

    def record_failure(self, account: str, client: str, now: datetime) -> None:
        record = self.records.get((account, client))
        if record is None or record["expires_at"] <= now:
            record = self.records[(account, client)] = {"failures": 0}
        record["failures"] += 1
        record["expires_at"] = now + timedelta(seconds=self.backoff.forget_seconds)
        record["wait_until"] = now + self.backoff.delay(record["failures"])

    def clear(self, account: str, client: str) -> None:
        self.records.pop((account, client), None)


ATTACKER, USUAL = "203.0.113.9", "10.0.0.7"


@pytest.fixture
def sign_in() -> SignIn:
    users = MemoryUsers()
    users.add(new_user("staff.baku", "centre_staff", CHEAP.hash(PASSWORD), centres=["baku"]))
    return SignIn(users=users, throttle=MemoryThrottle(), passwords=CHEAP, name_key=b"k" * 32)


def test_right_password_signs_in_and_clears_failures(sign_in):
    for _ in range(2):
        with pytest.raises(SignInRefused):
            sign_in("staff.baku", "wrong password!", USUAL, T0)
    user = sign_in("staff.baku", PASSWORD, USUAL, T0)
    assert user.identity().centres == ("baku",)
    assert sign_in.throttle.records == {}


def test_unknown_user_and_wrong_password_raise_the_same_refusal(sign_in):
    with pytest.raises(SignInRefused) as unknown:
        sign_in("nobody.here", PASSWORD, USUAL, T0)
    with pytest.raises(SignInRefused) as wrong:
        sign_in("staff.baku", "not the password", USUAL, T0)
    assert type(unknown.value) is type(wrong.value) and str(unknown.value) == str(wrong.value)


def test_disabled_user_is_refused_even_with_the_right_password(sign_in):
    sign_in.users.disable("staff.baku")
    with pytest.raises(SignInRefused):
        sign_in("staff.baku", PASSWORD, USUAL, T0)


def test_failures_slow_down_only_the_client_that_makes_them(sign_in):
    """Issue 12: five wrong passwords locked any account for 15 minutes, from anywhere."""
    for i in range(50):
        moment = T0 + timedelta(seconds=i * 1000)
        with pytest.raises(SignInRefused):
            sign_in("staff.baku", "wrong password!", ATTACKER, moment)
    later = T0 + timedelta(seconds=49 * 1000 + 1)
    with pytest.raises(Throttled) as throttled:
        sign_in("staff.baku", PASSWORD, ATTACKER, later)
    assert throttled.value.until <= later + timedelta(minutes=15)
    assert sign_in("staff.baku", PASSWORD, USUAL, later).username == "staff.baku"


def test_delays_grow_from_two_seconds_and_are_capped():
    backoff = Backoff()
    assert [backoff.delay(n).total_seconds() for n in range(1, 8)] == [0, 0, 2, 4, 8, 16, 32]
    assert backoff.delay(40).total_seconds() == 15 * 60


def test_a_throttle_ends_after_its_delay(sign_in):
    for _ in range(3):
        with pytest.raises(SignInRefused):
            sign_in("staff.baku", "wrong password!", ATTACKER, T0)
    with pytest.raises(Throttled):
        sign_in("staff.baku", PASSWORD, ATTACKER, T0 + timedelta(seconds=1))
    assert (
        sign_in("staff.baku", PASSWORD, ATTACKER, T0 + timedelta(seconds=3)).username
        == "staff.baku"
    )


def test_unknown_usernames_are_throttled_too_so_a_throttle_reveals_nothing(sign_in):
    for _ in range(3):
        with pytest.raises(SignInRefused):
            sign_in("nobody.here", "whatever123", ATTACKER, T0)
    with pytest.raises(Throttled):
        sign_in("nobody.here", "whatever123", ATTACKER, T0)


def test_a_password_typed_as_username_is_recorded_only_as_a_keyed_hash(sign_in):
    """Issue 12: a password typed into the username field was stored verbatim in the lockout
    records."""
    with pytest.raises(SignInRefused):
        sign_in("Winter2026!secret", "x", ATTACKER, T0)
    ((account, client),) = sign_in.throttle.records
    assert account.startswith("invalid:") and "Winter" not in account and client == ATTACKER
    assert (
        account
        == recorded_name("Winter2026!secret", b"k" * 32)
        != recorded_name("Winter2026!secret", b"j" * 32)
    )
    assert recorded_name("staff.baku", b"k" * 32) == "staff.baku"


def test_hash_made_with_old_parameters_is_replaced_on_sign_in(sign_in):
    old = Passwords(PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1))
    sign_in.users.set_password_hash("staff.baku", old.hash(PASSWORD))
    sign_in("staff.baku", PASSWORD, USUAL, T0)
    stored = sign_in.users.get("staff.baku").password_hash
    assert "m=8192" in stored and not CHEAP.needs_rehash(stored)
    assert sign_in("staff.baku", PASSWORD, USUAL, T0).username == "staff.baku"


def test_corrupt_stored_hash_is_a_refusal_not_a_crash(sign_in):
    sign_in.users.set_password_hash("staff.baku", "not-an-argon2-hash")
    with pytest.raises(SignInRefused):
        sign_in("staff.baku", PASSWORD, USUAL, T0)


@pytest.mark.parametrize(
    "username",
    ["ab", "Admin", "1admin", "ad min", "a" * 65, "admin$", "$where", "ädmin", "admin\n"],
)
def test_usernames_outside_the_format_are_refused(username):
    with pytest.raises(AccountError):
        new_user(username, "auditor", "h")


@pytest.mark.parametrize(
    "role, scopes",
    [
        ("centre_staff", {}),
        ("centre_staff", {"centres": ["Baku!"]}),
        ("liaison_officer", {}),
        ("liaison_officer", {"member_states": ["DE"], "all_scopes": True}),
        ("liaison_officer", {"member_states": ["de"]}),
        ("partner", {}),
        ("auditor", {"centres": ["baku"]}),
        ("admin", {"organisation": "IOM"}),
        ("system", {}),
    ],
)
def test_role_and_scopes_must_fit_together(role, scopes):
    with pytest.raises(AccountError):
        new_user("someone", role, "h", **scopes)


def test_valid_scoped_accounts():
    assert new_user("liaison", "liaison_officer", "h", all_scopes=True).identity().all_scopes
    assert new_user(
        "li.de", "liaison_officer", "h", member_states=["DE", "DE", "FR"]
    ).member_states == ("DE", "FR")
    assert (
        new_user("partner.iom", "partner", "h", organisation="IOM").identity().organisation == "IOM"
    )


@pytest.mark.parametrize(
    "password, ok",
    [("short", False), ("twelve chars", True), (" padded password ", False), ("x" * 1025, False)],
)
def test_password_rules(password, ok):
    assert (password_problem(password) is None) == ok


@pytest.mark.parametrize(
    "password, why",
    [
        ("aaaaaaaaaaaa", "Repeats"),  # issue 12: any 12 characters were a password
        ("qwertyuiopasdf", "too easy to guess"),
        ("sojdlg123aljg", "common and breached"),  # breached, though random-looking
        ("passwordpassword", "too easy to guess"),
        ("staff.baku2026!", "too easy to guess"),  # the username itself, and a year
        ("violet tractor \ud800 pines", "not text"),
    ],
)
def test_common_and_guessable_passwords_are_refused_with_the_reason(password, why):
    problem = password_problem(password, "staff.baku")
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    "password", ["violet tractor under pines", "Kx7#mQ2v!pR9zL", "a long enough password"]
)
def test_strong_passwords_pass(password):
    assert password_problem(password, "staff.baku") is None
