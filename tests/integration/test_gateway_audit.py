"""The audit trail on a real SecantusDB: one keyed chain under concurrency, signed checkpoints
outside
the database, and ``verify`` catching edits, re-chaining (unkeyed or with a wrong key), removal in
the
middle and truncation of the newest records; the auditor's API."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading

import pytest
from flask import jsonify

from gateway.admin.audit import AuditTrail, canonical, first_break
from gateway.admin.audit_checkpoints import Checkpointer, CheckpointFile
from gateway.admin.audit_keys import ChainKey, Keyring
from gateway.testing import add_user, gateway_for_tests, settings_for_tests
from passage.mongo import Mongo
from passage.testing import LiveServer, wait_for
from passage.web import build_app

PASSWORD = "correct horse battery"
KEY = "audit-chain-key-for-tests-0123456789abcdef-0123456789"
OLD_KEY = "retired-audit-chain-key-for-tests-0123456789abcdef"
KEYRING = Keyring.from_texts(KEY)


def _append(trail: AuditTrail, n: int, user: str) -> None:
    for i in range(n):
        trail.append(
            user=user,
            role="centre_staff",
            action="read",
            method="GET",
            resource="/api/v1/detention/stays/{stay_id}",
            ids={"stay_id": f"s{i}"},
            outcome=200,
            correlation_id=f"c-{user}-{i}",
        )


def _verify(
    mongo_url: str,
    db: str,
    checkpoints: str = "",
    key: str = KEY,
    previous: str = "",
    command: str = "verify",
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "MONGO_URL": mongo_url,
        "GATEWAY_MONGO_DB": db,
        "AUDIT_CHAIN_KEY": key,
        "AUDIT_CHAIN_PREVIOUS_KEYS": previous,
        "AUDIT_CHECKPOINT_FILE": checkpoints,
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway.admin.audit", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def trail_db(mongo_url, unique):
    db = f"t_{unique}_gateway"
    mongos = [Mongo(mongo_url, db) for _ in range(4)]  # four "workers", each with its own client
    yield mongos, db
    for mongo in mongos:
        mongo.close()


def test_concurrent_appends_keep_one_intact_chain(trail_db):
    mongos, _ = trail_db
    threads = [
        threading.Thread(target=_append, args=(AuditTrail(m, KEYRING), 15, f"user{i}"))
        for i, m in enumerate(mongos)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = list(AuditTrail(mongos[0], KEYRING).in_order())
    seqs = [r["seq"] for r in records]
    assert len(records) == 60 and seqs == sorted(set(seqs))  # unique, in time order
    assert len({r["segment"] for r in records}) == 4  # one segment per writer, no shared head
    assert {r["key_id"] for r in records} == {KEYRING.current.key_id}
    assert first_break(records, KEYRING) is None
    assert all("name" not in r and "body" not in r for r in records)


def test_the_key_never_reaches_the_database(trail_db):
    mongos, _ = trail_db
    _append(AuditTrail(mongos[0], KEYRING), 2, "staff.baku")
    stored = json.dumps(list(mongos[0].collection("audit").find({})), default=str)
    assert KEY not in stored and KEY.encode().hex() not in stored


def test_verify_passes_then_fails_after_an_edit_and_after_a_removal_in_the_middle(
    trail_db, mongo_url
):
    mongos, db = trail_db
    _append(AuditTrail(mongos[0], KEYRING), 6, "staff.baku")
    ok = _verify(mongo_url, db)
    assert ok.returncode == 0, ok.stderr
    assert "6 records" in ok.stdout
    audit = mongos[0].collection("audit")
    seq = _seqs(audit)
    audit.update_one({"_id": seq[2]}, {"$set": {"user": "someone.else"}})  # tampering on purpose
    edited = _verify(mongo_url, db)
    assert edited.returncode == 1 and f"record {seq[2]} was edited" in edited.stderr
    audit.update_one({"_id": seq[2]}, {"$set": {"user": "staff.baku"}})
    assert _verify(mongo_url, db).returncode == 0
    audit.delete_one({"_id": seq[3]})
    removed = _verify(mongo_url, db)
    assert removed.returncode == 1 and f"record {seq[4]} does not follow" in removed.stderr
    assert "removed or reordered" in removed.stderr


def test_removing_the_first_records_of_a_segment_or_moving_one_to_another_fails_verify(
    trail_db, mongo_url
):
    mongos, db = trail_db
    _append(AuditTrail(mongos[0], KEYRING), 3, "staff.baku")
    _append(AuditTrail(mongos[1], KEYRING), 3, "staff.ganja")
    audit = mongos[0].collection("audit")
    assert _verify(mongo_url, db).returncode == 0
    seq = _seqs(audit)
    other = audit.find_one({"_id": seq[4]})["segment"]
    audit.update_one({"_id": seq[1]}, {"$set": {"segment": other}})  # a record moved
    moved = _verify(mongo_url, db)
    assert moved.returncode == 1 and f"record {seq[1]} does not follow" in moved.stderr
    audit.delete_one({"_id": seq[1]})
    audit.delete_one({"_id": seq[0]})  # the segment's opening records
    cut = _verify(mongo_url, db)
    assert cut.returncode == 1 and f"record {seq[2]} does not follow" in cut.stderr


def test_legacy_records_written_before_segments_still_verify_and_tampering_is_caught(
    trail_db, mongo_url
):
    mongos, db = trail_db
    audit = mongos[0].collection("audit")
    prev = "0" * 64
    for seq in (1, 2, 3):  # as the gateway wrote them before segments: seq 1, 2, … and no segment
        doc = {"seq": seq, "user": "staff.baku", "action": "read", "outcome": 200}
        doc.update(prev_hash=prev, key_id=KEYRING.current.key_id)
        doc["hash"] = prev = KEYRING.current.seal("record", canonical(doc))
        audit.insert_one({"_id": seq, **doc})
    _append(AuditTrail(mongos[0], KEYRING), 2, "staff.baku")  # then segments
    ok = _verify(mongo_url, db)
    assert ok.returncode == 0 and "5 records" in ok.stdout, ok.stderr
    audit.delete_one({"_id": 2})
    removed = _verify(mongo_url, db)
    assert removed.returncode == 1 and "record 2 is missing" in removed.stderr


def _seqs(audit) -> list[int]:
    return [d["_id"] for d in audit.find({}, {"_id": 1}, sort=[("_id", 1)])]


def _rechain(audit, nth: int, seal) -> None:
    """What an attacker with database access does: edit the ``nth`` record (1-based) of a
    one-segment trail, then recompute every later link."""
    docs = list(audit.find({}, sort=[("_id", 1)]))
    prev = docs[nth - 2]["hash"] if nth > 1 else "0" * 64
    for doc in docs[nth - 1 :]:
        if doc is docs[nth - 1]:
            doc["outcome"] = 404
        doc["prev_hash"] = prev
        doc["hash"] = prev = seal(doc)
        audit.replace_one({"_id": doc["_id"]}, doc)


@pytest.mark.parametrize("how", ["unkeyed sha-256", "wrong key"])
def test_a_rechained_trail_fails_verify(trail_db, mongo_url, how):
    mongos, db = trail_db
    _append(AuditTrail(mongos[0], KEYRING), 5, "staff.baku")
    wrong = ChainKey.from_text("an-attackers-guess-at-the-key-0123456789abcdef")
    seal = (
        (lambda d: hashlib.sha256(canonical(d)).hexdigest())
        if how == "unkeyed sha-256"
        else (lambda d: wrong.seal("record", canonical(d)))
    )
    _rechain(mongos[0].collection("audit"), 2, seal)
    records = list(AuditTrail(mongos[0], KEYRING).in_order())
    assert [r["prev_hash"] for r in records[1:]] == [
        r["hash"] for r in records[:-1]
    ]  # the links hold…
    result = _verify(mongo_url, db)
    assert (
        result.returncode == 1
        and f"record {records[1]['seq']} was edited" in result.stderr
        and "re-chained" in result.stderr
    )


def test_rechaining_under_a_made_up_key_id_fails_verify(trail_db, mongo_url):
    mongos, db = trail_db
    _append(AuditTrail(mongos[0], KEYRING), 3, "staff.baku")
    wrong = ChainKey.from_text("an-attackers-own-key-0123456789abcdef-0123456789")
    audit = mongos[0].collection("audit")
    audit.update_many({}, {"$set": {"key_id": wrong.key_id}})
    _rechain(audit, 1, lambda d: wrong.seal("record", canonical(d)))
    result = _verify(mongo_url, db)
    first = _seqs(audit)[0]
    assert (
        result.returncode == 1
        and f"record {first} names a key this check does not hold" in result.stderr
    )


def test_truncating_the_newest_records_is_caught_by_the_checkpoint_outside_the_database(
    trail_db, mongo_url, tmp_path
):
    mongos, db = trail_db
    checkpoints = str(tmp_path / "audit-checkpoints.jsonl")
    _append(AuditTrail(mongos[0], KEYRING), 6, "staff.baku")
    written = _verify(mongo_url, db, checkpoints, command="checkpoint")
    assert written.returncode == 0 and "6 records" in written.stdout, written.stderr
    assert oct(os.stat(checkpoints).st_mode & 0o777) == "0o600"
    assert _verify(mongo_url, db, checkpoints).returncode == 0
    seq = _seqs(mongos[0].collection("audit"))
    mongos[0].collection("audit").delete_many({"_id": {"$gte": seq[4]}})  # records 5, 6 cut off
    assert _verify(mongo_url, db).returncode == 0  # the chain alone cannot tell…
    cut = _verify(mongo_url, db, checkpoints)  # …the checkpoint can
    assert (
        cut.returncode == 1
        and "the newest records were removed" in cut.stderr
        and "had 6" in cut.stderr
    )


def test_a_trail_rewritten_up_to_a_checkpoint_or_a_forged_checkpoint_fails_verify(
    trail_db, mongo_url, tmp_path
):
    mongos, db = trail_db
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    _append(AuditTrail(mongos[0], KEYRING), 4, "staff.baku")
    assert _verify(mongo_url, db, str(checkpoints), command="checkpoint").returncode == 0
    audit = mongos[0].collection("audit")
    kept = audit.find_one({"_id": _seqs(audit)[1]})
    audit.delete_many({"_id": {"$gt": kept["_id"]}})
    insider = AuditTrail(mongos[0], KEYRING)  # with the key, e.g. an insider: new records 3-4…
    insider._segment, insider._heads = kept["segment"], {kept["segment"]: (2, kept["hash"])}
    _append(insider, 2, "staff.baku")
    assert _verify(mongo_url, db).returncode == 0  # …that verify as a chain…
    rewritten = _verify(mongo_url, db, str(checkpoints))  # …but not against the checkpoint
    assert rewritten.returncode == 1 and "record 4 of segment" in rewritten.stderr
    assert "is not the one checkpointed" in rewritten.stderr
    line = json.loads(checkpoints.read_text().splitlines()[0])
    checkpoints.write_text(
        json.dumps({**line, "count": 2}) + "\n"
    )  # lower the count to hide the cut
    forged = _verify(mongo_url, db, str(checkpoints))
    assert forged.returncode == 1 and "checkpoint line 1 is not sealed" in forged.stderr


def test_removing_a_whole_segment_is_caught_by_its_checkpoint(trail_db, mongo_url, tmp_path):
    mongos, db = trail_db
    checkpoints = str(tmp_path / "audit-checkpoints.jsonl")
    _append(AuditTrail(mongos[0], KEYRING), 2, "staff.baku")
    _append(AuditTrail(mongos[1], KEYRING), 3, "staff.ganja")
    written = _verify(mongo_url, db, checkpoints, command="checkpoint")
    assert written.returncode == 0 and "2 segment checkpoints, 5 records" in written.stdout
    audit = mongos[0].collection("audit")
    gone = audit.find_one({"user": "staff.ganja"})["segment"]
    audit.delete_many({"segment": gone})
    assert _verify(mongo_url, db).returncode == 0  # the other segment alone still verifies…
    cut = _verify(mongo_url, db, checkpoints)  # …the checkpoint names the missing one
    assert cut.returncode == 1 and f"segment {gone} had 3 records, only 0" in cut.stderr


def test_checkpoints_are_written_on_their_own_after_appends(trail_db, tmp_path):
    mongos, _ = trail_db
    trail = AuditTrail(mongos[0], KEYRING)
    file = CheckpointFile(tmp_path / "var" / "audit-checkpoints.jsonl")
    checkpointer = Checkpointer(
        file, KEYRING.current, trail.heads, lambda: "2026-11-30T00:00:00.000000Z", 0.05
    )
    trail.on_written = checkpointer.written
    try:
        _append(trail, 3, "staff.baku")
        wait_for(
            lambda: any(cp and cp.count == 3 for _, cp in file.read()),
            timeout=30,
            message="a checkpoint of the 3 records",
        )
    finally:
        checkpointer.cancel()
    ((_, last),) = [item for item in file.read() if item[1].count == 3][-1:]
    ((segment, count, head),) = trail.heads()
    assert (last.segment, last.count, last.head) == (segment, count, head)
    assert last.genuine(KEYRING) and trail.stored_heads() == trail.heads()
    assert oct(os.stat(file.path).st_mode & 0o777) == "0o600"


def test_a_stopping_gateway_checkpoints_what_it_has_not_checkpointed_yet(trail_db, tmp_path):
    mongos, _ = trail_db
    trail = AuditTrail(mongos[0], KEYRING)
    file = CheckpointFile(tmp_path / "audit-checkpoints.jsonl")
    checkpointer = Checkpointer(
        file, KEYRING.current, trail.heads, lambda: "2026-11-30T00:00:00.000000Z", 3600
    )
    trail.on_written = checkpointer.written
    _append(trail, 2, "staff.baku")
    assert list(file.read()) == []  # due in an hour…
    checkpointer.flush()  # …but the worker is stopping (atexit)
    checkpointer.flush()  # nothing more is due
    assert [cp.count for _, cp in file.read()] == [2]


def test_after_a_key_rotation_old_records_verify_with_the_retired_key(trail_db, mongo_url):
    mongos, db = trail_db
    _append(AuditTrail(mongos[0], Keyring.from_texts(OLD_KEY)), 3, "staff.baku")
    _append(AuditTrail(mongos[0], Keyring.from_texts(KEY, [OLD_KEY])), 3, "staff.baku")
    key_ids = [r["key_id"] for r in AuditTrail(mongos[0], KEYRING).in_order()]
    assert len(set(key_ids)) == 2 and key_ids[:3] == [ChainKey.from_text(OLD_KEY).key_id] * 3
    assert _verify(mongo_url, db, previous=OLD_KEY).returncode == 0
    without = _verify(mongo_url, db)
    first = _seqs(mongos[0].collection("audit"))[0]
    assert (
        without.returncode == 1
        and f"record {first} names a key this check does not hold" in without.stderr
    )


@pytest.fixture
def gateway(settings_for):
    app, _ = build_app(__name__, title="stub")
    app.add_url_rule(
        "/api/v1/detention/stays/<stay_id>", "stay", lambda stay_id: jsonify(id=stay_id)
    )
    app.add_url_rule(
        "/api/v1/detention/centres", "centres", lambda: jsonify(items=[], next_cursor=None)
    )
    with LiveServer(app) as upstream:
        gateway_app, deps = gateway_for_tests(
            settings_for_tests(settings_for("gateway"), {"detention": upstream.url})
        )
        for name, role in (
            ("staff.baku", "centre_staff"),
            ("auditor", "auditor"),
            ("partner.iom", "partner"),
        ):
            add_user(
                deps,
                name,
                role,
                PASSWORD,
                **(
                    {"centres": ["baku"]}
                    if role == "centre_staff"
                    else {"organisation": "IOM"}
                    if role == "partner"
                    else {}
                ),
            )
        yield gateway_app.test_client(), deps
        deps.mongo.close()


def _bearer(client, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json['access_token']}"}


def test_personal_data_reads_and_sign_ins_are_audited_and_auditors_can_search(gateway):
    client, deps = gateway
    staff = _bearer(client, "staff.baku")
    client.post("/api/v1/auth/login", json={"username": "staff.baku", "password": "wrong password"})
    assert (
        client.get(
            "/api/v1/detention/stays/st-1", headers={**staff, "X-Correlation-ID": "corr-12345678"}
        ).status_code
        == 200
    )
    assert (
        client.get("/api/v1/detention/centres", headers=staff).status_code == 200
    )  # no personal data: not audited
    auditor = _bearer(client, "auditor")
    page = client.get("/api/v1/audit?user=staff.baku&limit=10", headers=auditor)
    assert page.status_code == 200, page.json
    actions = [(r["action"], r["resource"], r["outcome"]) for r in page.json["items"]]
    assert ("read", "/api/v1/detention/stays/{stay_id}", 200) in actions
    assert ("login_failed", "/api/v1/auth/login", 401) in actions and (
        "login",
        "/api/v1/auth/login",
        200,
    ) in actions
    read = next(r for r in page.json["items"] if r["action"] == "read")
    assert read["ids"] == {"stay_id": "st-1"} and read["correlation_id"] == "corr-12345678"
    assert not any(r["resource"] == "/api/v1/detention/centres" for r in page.json["items"])
    failed = client.get("/api/v1/audit?outcome=401", headers=auditor).json["items"]
    assert failed and all(r["outcome"] == 401 for r in failed)
    first = client.get("/api/v1/audit?limit=2", headers=auditor).json
    second = client.get(
        f"/api/v1/audit?limit=2&cursor={first['next_cursor']}", headers=auditor
    ).json
    last = first["items"][-1]["seq"]
    before = [r["seq"] for r in deps.guard.trail.search(before_seq=last, limit=2)]
    assert [r["seq"] for r in second["items"]] == before and before[
        0
    ] < last  # newest first, no gap
    assert (
        client.get(
            "/api/v1/audit?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z", headers=auditor
        ).json["items"]
        == []
    )
    assert client.get("/api/v1/audit?user[$ne]=x", headers=auditor).status_code == 422
    denied = client.get("/api/v1/audit", headers=_bearer(client, "partner.iom"))
    assert denied.status_code == 403
    assert first_break(deps.guard.trail.in_order(), deps.guard.trail.keyring) is None
