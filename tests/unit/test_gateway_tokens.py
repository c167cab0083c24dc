"""Access tokens: only an unexpired HS256 token signed with a known key, for our audience,
passes."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from gateway.auth.tokens import (
    AUDIENCE,
    ISSUER,
    SigningKeys,
    TokenInvalid,
    bearer_token,
    issue_access_token,
    key_id,
    verify_access_token,
)
from passage.identity import Identity

SECRET = "unit-test-access-secret-0123456789abcdef" * 2
OTHER = "another-access-secret-0123456789abcdefgh"
KEYS = SigningKeys.from_secrets(SECRET)
STAFF = Identity(user_id="staff.baku", role="centre_staff", centres=("baku",))


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "admin",
        "iat": now,
        "exp": now + 600,
        "jti": "j1",
        "role": "admin",
        "centres": [],
        "member_states": [],
        "org": None,
        "all": False,
    }
    claims.update(changes)
    return claims


def test_round_trip_keeps_role_and_scopes():
    token = issue_access_token(STAFF, KEYS, ttl_seconds=900)
    assert verify_access_token(token, KEYS) == STAFF
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256" and header["kid"] == key_id(SECRET)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert {"exp", "iat", "aud", "iss", "sub", "jti"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == 900


def test_expired_token_is_refused():
    token = issue_access_token(STAFF, KEYS, ttl_seconds=900, now=time.time() - 3600)
    with pytest.raises(TokenInvalid):
        verify_access_token(token, KEYS)


def test_token_signed_with_another_secret_under_our_kid_is_refused():
    forged = jwt.encode(_claims(), OTHER, algorithm="HS256", headers={"kid": key_id(SECRET)})
    with pytest.raises(TokenInvalid):
        verify_access_token(forged, KEYS)


def test_alg_none_is_refused():
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': key_id(SECRET)})}.{_b64(_claims())}."
    with pytest.raises(TokenInvalid):
        verify_access_token(unsigned, KEYS)


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_other_algorithms_are_refused_even_with_the_right_secret(alg):
    token = jwt.encode(_claims(), SECRET, algorithm=alg, headers={"kid": key_id(SECRET)})
    with pytest.raises(TokenInvalid):
        verify_access_token(token, KEYS)


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "passage-services"},
        {"iss": "someone-else"},
        {"role": "system"},
        {"role": "emperor"},
        {"centres": "baku"},
        {"sub": ""},
    ],
)
def test_wrong_audience_issuer_role_or_scope_shape_is_refused(changes):
    token = jwt.encode(
        _claims(**changes), SECRET, algorithm="HS256", headers={"kid": key_id(SECRET)}
    )
    with pytest.raises(TokenInvalid):
        verify_access_token(token, KEYS)


@pytest.mark.parametrize("missing", ["exp", "iat", "jti", "sub"])
def test_missing_required_claim_is_refused(missing):
    claims = _claims()
    del claims[missing]
    token = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": key_id(SECRET)})
    with pytest.raises(TokenInvalid):
        verify_access_token(token, KEYS)


def test_tampered_claims_are_refused():
    token = issue_access_token(STAFF, KEYS, ttl_seconds=900)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    with pytest.raises(TokenInvalid):
        verify_access_token(f"{header}.{_b64(claims)}.{signature}", KEYS)


def test_unknown_kid_and_garbage_are_refused():
    stranger = issue_access_token(STAFF, SigningKeys.from_secrets(OTHER), ttl_seconds=900)
    for token in (stranger, "not-a-jwt", "a.b.c", ""):
        with pytest.raises(TokenInvalid):
            verify_access_token(token, KEYS)


def test_rotation_accepts_tokens_of_the_previous_key_and_signs_with_the_new_one():
    old_token = issue_access_token(STAFF, SigningKeys.from_secrets(OTHER), ttl_seconds=900)
    rotated = SigningKeys.from_secrets(SECRET, previous=OTHER)
    assert verify_access_token(old_token, rotated) == STAFF
    new_token = issue_access_token(STAFF, rotated, ttl_seconds=900)
    assert jwt.get_unverified_header(new_token)["kid"] == key_id(SECRET)
    with pytest.raises(TokenInvalid):  # once the previous key is dropped, its tokens stop working
        verify_access_token(old_token, SigningKeys.from_secrets(SECRET))


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer a b", "Token abc"]
)
def test_bearer_header_must_be_well_formed(header):
    with pytest.raises(TokenInvalid):
        bearer_token(header)


def test_bearer_scheme_is_case_insensitive():
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def test_the_access_token_names_its_refresh_family():
    """Issue 12: logout needs the session's refresh family even without the refresh token."""
    from gateway.auth.tokens import verify_access_claims

    claims = verify_access_claims(
        issue_access_token(STAFF, KEYS, ttl_seconds=900, family="f" * 32), KEYS
    )
    assert claims.family == "f" * 32 and claims.identity == STAFF
    assert (
        verify_access_claims(issue_access_token(STAFF, KEYS, ttl_seconds=900), KEYS).family is None
    )
    forged = jwt.encode(
        _claims(fam={"$ne": None}), SECRET, algorithm="HS256", headers={"kid": key_id(SECRET)}
    )
    with pytest.raises(TokenInvalid):
        verify_access_claims(forged, KEYS)
