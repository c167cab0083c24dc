"""Two gateway instances on one database: the audit chain stays one verifiable chain, revocations
reach both.

Each instance is its own app with its own MongoClient, standing for two gateway processes or
hosts; requests hit both at the same time from several threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import jsonify

from gateway.admin.audit import first_break
from gateway.auth.sessions import Revocations
from gateway.auth.tokens import issue_access_token, verify_access_claims
from gateway.bootstrap import audit_keyring
from gateway.testing import gateway_for_tests, settings_for_tests
from passage.identity import Identity
from passage.testing import LiveServer, wait_for
from passage.web import build_app

STAFF = Identity("staff.baku", "centre_staff", centres=("baku",))


@pytest.fixture
def two_gateways(settings_for) -> Iterator[tuple[list, object]]:
    app, _ = build_app(__name__, title="stub")
    app.add_url_rule(
        "/api/v1/detention/stays/<stay_id>", "stay", lambda stay_id: jsonify(id=stay_id)
    )
    with LiveServer(app) as upstream:
        settings = settings_for_tests(settings_for("gateway"), {"detention": upstream.url})
        instances = [gateway_for_tests(settings) for _ in range(2)]
        yield instances, settings
        for _, deps in instances:
            deps.mongo.close()


def _reads(app, bearer: dict[str, str], count: int, codes: list[int]) -> None:
    client = app.test_client()
    for i in range(count):
        codes.append(client.get(f"/api/v1/detention/stays/st-{i}", headers=bearer).status_code)


def test_concurrent_reads_through_two_gateways_leave_one_verifiable_chain(two_gateways):
    instances, settings = two_gateways
    token = issue_access_token(STAFF, instances[0][1].keys, ttl_seconds=300)
    bearer = {"Authorization": f"Bearer {token}"}
    codes: list[int] = []
    threads = [
        threading.Thread(target=_reads, args=(instances[i % 2][0], bearer, 10, codes))
        for i in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 60
    records = list(instances[0][1].guard.trail.in_order())
    reads = [r for r in records if r["action"] == "read"]
    seqs = [r["seq"] for r in records]
    assert len(reads) == 60 and seqs == sorted(set(seqs))
    assert len({r["segment"] for r in reads}) == 2  # each gateway appends to its own segment
    assert first_break(records, audit_keyring(settings)) is None


def test_a_token_revoked_through_one_gateway_is_refused_by_the_other_within_the_cache_time(
    two_gateways,
):
    instances, _ = two_gateways
    (first, first_deps), (second, second_deps) = instances
    token = issue_access_token(STAFF, first_deps.keys, ttl_seconds=300)
    bearer = {"Authorization": f"Bearer {token}"}
    assert (
        second.test_client().get("/api/v1/detention/stays/st-1", headers=bearer).status_code == 200
    )
    claims = verify_access_claims(token, first_deps.keys)
    expires = datetime.fromtimestamp(claims.expires_at, UTC)
    first_deps.guard.revocations.revoke_token(claims.jti, expires)
    assert (
        first.test_client().get("/api/v1/detention/stays/st-1", headers=bearer).status_code == 401
    )  # at once here
    # the other process may answer from its cache for at most revocation_cache_seconds (2 s), then
    # refuses
    wait_for(
        lambda: (
            second.test_client().get("/api/v1/detention/stays/st-1", headers=bearer).status_code
            == 401
        ),
        timeout=30,
    )


def test_a_revocation_cache_answers_from_memory_until_it_expires(two_gateways):
    instances, _ = two_gateways
    mongo = instances[0][1].mongo
    cached, elsewhere = Revocations(mongo, 900, cache_seconds=300.0), Revocations(mongo, 900)
    assert cached.is_revoked("jti-1", "staff.baku", 0) is False
    elsewhere.revoke_token("jti-1", datetime(2100, 1, 1, tzinfo=UTC))
    assert elsewhere.is_revoked("jti-1", "staff.baku", 0) is True
    assert cached.is_revoked("jti-1", "staff.baku", 0) is False  # stale, within its stated 300 s
    assert Revocations(mongo, 900, cache_seconds=0.0).is_revoked("jti-1", "staff.baku", 0) is True
