"""The internal identity token: only the gateway's fresh, untampered HS256 token is believed."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from passage.identity import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    ROLES,
    Identity,
    IdentityError,
    IdentitySigner,
    VerifiedTokens,
    identity_verifier,
    sign_identity,
    verify_identity,
)

SECRET = "unit-test-internal-secret-0123456789abcdef"


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 60,
        "jti": "j1",
        "sub": "u1",
        "role": "centre_staff",
        "centres": ["baku"],
        "member_states": [],
        "org": None,
        "all": False,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def test_round_trip_keeps_role_and_scopes() -> None:
    identity = Identity("u1", "liaison_officer", member_states=("DE", "FR"), organisation=None)
    assert verify_identity(sign_identity(identity, SECRET), SECRET) == identity
    staff = Identity("u2", "centre_staff", centres=("baku", "ganja"))
    assert verify_identity(sign_identity(staff, SECRET), SECRET) == staff
    partner = Identity("u3", "partner", organisation="IOM")
    assert verify_identity(sign_identity(partner, SECRET), SECRET) == partner


@pytest.mark.parametrize("role", ROLES)
def test_every_known_role_verifies(role: str) -> None:
    assert verify_identity(sign_identity(Identity("u", role), SECRET), SECRET).role == role


def test_expired_token_is_refused() -> None:
    token = sign_identity(Identity("u1", "admin"), SECRET, ttl_seconds=60, now=time.time() - 3600)
    with pytest.raises(IdentityError, match="Expired"):
        verify_identity(token, SECRET)


def test_wrong_secret_is_refused() -> None:
    token = sign_identity(Identity("u1", "admin"), "another-secret-of-enough-length-0123456789")
    with pytest.raises(IdentityError):
        verify_identity(token, SECRET)


def test_alg_none_token_is_refused() -> None:
    token = jwt.encode(claims(role="admin"), key=None, algorithm="none")
    with pytest.raises(IdentityError):
        verify_identity(token, SECRET)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_hmac_algorithm_is_refused() -> None:
    token = jwt.encode(claims(), SECRET, algorithm="HS512")
    with pytest.raises(IdentityError):
        verify_identity(token, SECRET)


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "someone-else"},
        {"aud": ...},
        {"iss": "evil-gateway"},
        {"iss": ...},
        {"exp": ...},
        {"iat": ...},
        {"sub": ...},
    ],
)
def test_wrong_or_missing_registered_claims_are_refused(change: dict[str, Any]) -> None:
    token = jwt.encode(claims(**change), SECRET, algorithm=ALGORITHM)
    with pytest.raises(IdentityError):
        verify_identity(token, SECRET)


def test_tampered_payload_is_refused() -> None:
    token = sign_identity(Identity("u1", "partner", organisation="IOM"), SECRET)
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(IdentityError):
        verify_identity(f"{header}.{forged}.{signature}", SECRET)


@pytest.mark.parametrize("role", ["root", "ADMIN", None, ["admin"]])
def test_unknown_role_is_refused(role: Any) -> None:
    token = jwt.encode(claims(role=role), SECRET, algorithm=ALGORITHM)
    with pytest.raises(IdentityError, match="role"):
        verify_identity(token, SECRET)


@pytest.mark.parametrize("token", [None, "", "garbage", "a.b.c"])
def test_missing_or_garbage_token_is_refused(token: Any) -> None:
    with pytest.raises(IdentityError):
        verify_identity(token, SECRET)


def test_malformed_scopes_are_dropped_not_trusted() -> None:
    token = jwt.encode(
        claims(centres=["baku", {"$ne": None}, 3], member_states="DE", org=["x"], all="yes"),
        SECRET,
        algorithm=ALGORITHM,
    )
    identity = verify_identity(token, SECRET)
    assert identity.centres == ("baku",) and identity.member_states == ()
    assert identity.organisation is None and identity.all_scopes is False


def test_error_text_does_not_echo_the_token() -> None:
    token = sign_identity(Identity("u1", "admin"), "another-secret-of-enough-length-0123456789")
    with pytest.raises(IdentityError) as caught:
        verify_identity(token, SECRET)
    assert token not in str(caught.value)


def test_scope_rules() -> None:
    staff = Identity("u", "centre_staff", centres=("baku",))
    assert staff.may_see_centre("baku") and not staff.may_see_centre("ganja")
    assert not staff.may_see_member_state("DE")
    officer = Identity("u", "liaison_officer", member_states=("DE",))
    assert officer.may_see_member_state("DE") and not officer.may_see_member_state("FR")
    assert Identity("u", "liaison_officer", all_scopes=True).may_see_member_state("FR")
    assert Identity("u", "admin").may_see_centre("any") and Identity("u", "admin").has_role(
        "partner"
    )
    assert not Identity("u", "partner").has_role("centre_staff")


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def counting(expires: float) -> tuple[list[str], Any]:
    """A verify function that records each token it checks and refuses tokens named "bad"."""
    checked: list[str] = []

    def verify(token: str) -> tuple[str, float]:
        checked.append(token)
        if token.startswith("bad"):
            raise IdentityError("forged")
        return f"who:{token}", expires

    return checked, verify


def test_a_verified_token_is_checked_once_until_it_expires() -> None:
    clock = Clock()
    checked, verify = counting(expires=clock.now + 60)
    verified = VerifiedTokens(verify, clock=clock)
    assert [verified("t1"), verified("t1"), verified("t1")] == ["who:t1"] * 3
    assert checked == ["t1"]
    clock.now += 60  # expired: the full check runs again (and would refuse it)
    verified("t1")
    assert checked == ["t1", "t1"]


def test_a_refused_token_is_never_remembered() -> None:
    checked, verify = counting(expires=float("inf"))
    verified = VerifiedTokens(verify)
    for _ in range(2):
        with pytest.raises(IdentityError):
            verified("bad-token")
    assert checked == ["bad-token", "bad-token"]


def test_remembered_tokens_are_bounded_oldest_dropped_first() -> None:
    checked, verify = counting(expires=float("inf"))
    verified = VerifiedTokens(verify, size=2)
    for token in ("a", "b", "c", "b", "a"):
        verified(token)
    assert checked == ["a", "b", "c", "a"]  # "a" was dropped for "c"; "b" was still kept


def test_the_service_verifier_refuses_a_remembered_token_once_it_expires() -> None:
    verify = identity_verifier(SECRET, leeway=0)
    token = sign_identity(Identity("u1", "admin"), SECRET, now=time.time() - 58)  # 1-2 s left
    assert verify(token) == Identity("u1", "admin")
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.2)
    with pytest.raises(IdentityError):
        verify(token)


def test_the_service_verifier_checks_other_bytes_in_full() -> None:
    verify = identity_verifier(SECRET)
    token = sign_identity(Identity("u1", "centre_staff", centres=("baku",)), SECRET)
    verify(token)
    head, body, signature = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged["role"] = "admin"
    raw = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    for bad in (f"{head}.{raw}.{signature}", token + "x", token[:-1], ""):
        with pytest.raises(IdentityError):
            verify(bad)


def test_the_signer_reuses_a_token_for_a_quarter_of_its_life() -> None:
    clock = Clock()
    sign = IdentitySigner(SECRET, 60, clock=clock)
    staff, officer = Identity("u1", "centre_staff", centres=("baku",)), Identity("u2", "admin")
    first = sign(staff)
    clock.now += 14
    assert sign(staff) == first
    assert sign(officer) != first
    clock.now += 1  # 15 s: three quarters of its minute are no longer left
    renewed = sign(staff)
    assert renewed != first
    claims = [jwt.decode(t, options={"verify_signature": False}) for t in (first, renewed)]
    assert [c["exp"] - c["iat"] for c in claims] == [60, 60]
    assert claims[1]["iat"] == claims[0]["iat"] + 15


def test_a_signed_token_verifies_as_its_identity() -> None:
    identity = Identity("u3", "partner", organisation="IOM")
    assert verify_identity(IdentitySigner(SECRET)(identity), SECRET) == identity
