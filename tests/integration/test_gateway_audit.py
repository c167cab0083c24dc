"""The audit trail on a real SecantusDB: one chain under concurrency, tamper detection, the auditor's API."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from flask import jsonify

from gateway.audit import AuditTrail, first_break
from gateway.testing import add_user, gateway_for_tests, settings_for_tests
from passage.mongo import Mongo
from passage.testing import LiveServer
from passage.web import build_app

PASSWORD = "correct horse battery"


def _append(trail: AuditTrail, n: int, user: str) -> None:
    for i in range(n):
        trail.append(user=user, role="centre_staff", action="read", method="GET",
                     resource="/api/v1/detention/stays/{stay_id}", ids={"stay_id": f"s{i}"}, outcome=200,
                     correlation_id=f"c-{user}-{i}")


def _verify(mongo_url: str, db: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MONGO_URL": mongo_url, "GATEWAY_MONGO_DB": db}
    return subprocess.run([sys.executable, "-m", "gateway.audit", "verify"], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def trail_db(mongo_url, unique):
    db = f"t_{unique}_gateway"
    mongos = [Mongo(mongo_url, db) for _ in range(4)]  # four "workers", each with its own client
    yield mongos, db
    for mongo in mongos:
        mongo.close()


def test_concurrent_appends_keep_one_intact_chain(trail_db):
    mongos, _ = trail_db
    threads = [threading.Thread(target=_append, args=(AuditTrail(m), 15, f"user{i}")) for i, m in enumerate(mongos)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = list(AuditTrail(mongos[0]).in_order())
    assert [r["seq"] for r in records] == list(range(1, 61))
    assert first_break(records) is None
    assert all("name" not in r and "body" not in r for r in records)


def test_verify_passes_then_fails_after_an_edit_and_after_a_removal(trail_db, mongo_url):
    mongos, db = trail_db
    _append(AuditTrail(mongos[0]), 6, "staff.baku")
    ok = _verify(mongo_url, db)
    assert ok.returncode == 0, ok.stderr
    assert "6 records" in ok.stdout
    audit = mongos[0].collection("audit")
    audit.update_one({"_id": 3}, {"$set": {"user": "someone.else"}})  # tampering on purpose
    edited = _verify(mongo_url, db)
    assert edited.returncode == 1 and "record 3 was edited" in edited.stderr
    audit.update_one({"_id": 3}, {"$set": {"user": "staff.baku"}})
    assert _verify(mongo_url, db).returncode == 0
    audit.delete_one({"_id": 4})
    removed = _verify(mongo_url, db)
    assert removed.returncode == 1 and "record 4 is missing" in removed.stderr


def test_rehashed_edit_still_breaks_the_chain(trail_db):
    """Recomputing the edited record's own hash is not enough: the next record names the old one."""
    mongos, _ = trail_db
    trail = AuditTrail(mongos[0])
    _append(trail, 4, "staff.baku")
    from gateway.audit import record_hash
    doc = mongos[0].collection("audit").find_one({"_id": 2})
    doc["outcome"] = 404
    doc["hash"] = record_hash(doc)
    mongos[0].collection("audit").replace_one({"_id": 2}, doc)
    assert "record 3 does not follow record 2" in first_break(trail.in_order())


@pytest.fixture
def gateway(settings_for):
    app, _ = build_app(__name__, title="stub")
    app.add_url_rule("/api/v1/detention/stays/<stay_id>", "stay", lambda stay_id: jsonify(id=stay_id))
    app.add_url_rule("/api/v1/detention/centres", "centres", lambda: jsonify(items=[], next_cursor=None))
    with LiveServer(app) as upstream:
        gateway_app, deps = gateway_for_tests(settings_for_tests(settings_for("gateway"), {"detention": upstream.url}))
        for name, role in (("staff.baku", "centre_staff"), ("auditor", "auditor"), ("partner.iom", "partner")):
            add_user(deps, name, role, PASSWORD, **({"centres": ["baku"]} if role == "centre_staff" else
                                                    {"organisation": "IOM"} if role == "partner" else {}))
        yield gateway_app.test_client(), deps
        deps.mongo.close()


def _bearer(client, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json['access_token']}"}


def test_personal_data_reads_and_sign_ins_are_audited_and_auditors_can_search(gateway):
    client, deps = gateway
    staff = _bearer(client, "staff.baku")
    client.post("/api/v1/auth/login", json={"username": "staff.baku", "password": "wrong password"})
    assert client.get("/api/v1/detention/stays/st-1", headers={**staff, "X-Correlation-ID": "corr-12345678"}).status_code == 200
    assert client.get("/api/v1/detention/centres", headers=staff).status_code == 200  # no personal data: not audited
    auditor = _bearer(client, "auditor")
    page = client.get("/api/v1/audit?user=staff.baku&limit=10", headers=auditor)
    assert page.status_code == 200, page.json
    actions = [(r["action"], r["resource"], r["outcome"]) for r in page.json["items"]]
    assert ("read", "/api/v1/detention/stays/{stay_id}", 200) in actions
    assert ("login_failed", "/api/v1/auth/login", 401) in actions and ("login", "/api/v1/auth/login", 200) in actions
    read = next(r for r in page.json["items"] if r["action"] == "read")
    assert read["ids"] == {"stay_id": "st-1"} and read["correlation_id"] == "corr-12345678"
    assert not any(r["resource"] == "/api/v1/detention/centres" for r in page.json["items"])
    failed = client.get("/api/v1/audit?outcome=401", headers=auditor).json["items"]
    assert failed and all(r["outcome"] == 401 for r in failed)
    first = client.get("/api/v1/audit?limit=2", headers=auditor).json
    second = client.get(f"/api/v1/audit?limit=2&cursor={first['next_cursor']}", headers=auditor).json
    assert [r["seq"] for r in second["items"]] == [first["items"][-1]["seq"] - 1, first["items"][-1]["seq"] - 2]
    assert client.get("/api/v1/audit?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z", headers=auditor).json["items"] == []
    assert client.get("/api/v1/audit?user[$ne]=x", headers=auditor).status_code == 422
    denied = client.get("/api/v1/audit", headers=_bearer(client, "partner.iom"))
    assert denied.status_code == 403
    assert first_break(deps.guard.trail.in_order()) is None
