"""``python -m gateway.admin.users``: demo seeding, creating and disabling accounts, on a real
SecantusDB."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest

from gateway.admin.users import DEMO_ACCOUNTS, main
from gateway.auth.accounts import MongoUsers
from gateway.auth.passwords import Passwords
from gateway.testing import cheap_passwords
from passage.mongo import Mongo

REPO = Path(__file__).resolve().parents[2]
DEMO = {"admin", "staff.baku", "staff.yevlakh", "liaison", "caseworker", "partner.iom", "auditor"}


@pytest.fixture
def env(mongo_url, unique):
    return {"MONGO_URL": mongo_url, "GATEWAY_MONGO_DB": f"t_{unique}_gateway"}


@pytest.fixture
def users(env):
    mongo = Mongo(env["MONGO_URL"], env["GATEWAY_MONGO_DB"])
    yield MongoUsers(mongo)
    mongo.close()


def _run(args: list[str], env: dict, stdin: str = "") -> int:
    return main(args, env=env, stdin=io.StringIO(stdin), passwords=cheap_passwords())


def test_ensure_demo_creates_the_seven_accounts_with_their_scopes(env, users, tmp_path):
    logins = tmp_path / "var" / "demo-logins.json"
    assert _run(["ensure-demo", "--logins-file", str(logins)], env) == 0
    recorded = json.loads(logins.read_text())
    assert set(recorded) == DEMO == {a.username for a in DEMO_ACCOUNTS}
    assert stat.S_IMODE(os.stat(logins).st_mode) == 0o600
    passwords = Passwords()
    for username, password in recorded.items():
        user = users.get(username)
        assert user is not None and passwords.check(user.password_hash, password)
    assert users.get("staff.baku").identity().centres == ("baku",)
    assert users.get("staff.yevlakh").identity().centres == ("yevlakh",)
    assert (
        users.get("liaison").identity().all_scopes
        and users.get("liaison").role == "liaison_officer"
    )
    assert users.get("partner.iom").identity().organisation == "IOM"
    assert {u: users.get(u).role for u in ("admin", "caseworker", "auditor")} == {
        "admin": "admin",
        "caseworker": "avr_caseworker",
        "auditor": "auditor",
    }


def test_ensure_demo_run_twice_as_a_process_keeps_the_passwords(env, users, tmp_path):
    logins = tmp_path / "logins.json"
    command = [
        sys.executable,
        "-m",
        "gateway.admin.users",
        "ensure-demo",
        "--logins-file",
        str(logins),
    ]
    process_env = {**os.environ, **env}
    first = subprocess.run(
        command, env=process_env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert first.returncode == 0, first.stderr
    before = json.loads(logins.read_text())
    hashes = {u: users.get(u).password_hash for u in DEMO}
    second = subprocess.run(
        command, env=process_env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    assert json.loads(logins.read_text()) == before
    assert {u: users.get(u).password_hash for u in DEMO} == hashes
    assert stat.S_IMODE(os.stat(logins).st_mode) == 0o600
    assert not any(
        p in first.stdout + second.stdout for p in before.values()
    )  # passwords only in the file


def test_ensure_demo_keeps_other_entries_and_repairs_a_lost_password(env, users, tmp_path):
    logins = tmp_path / "logins.json"
    assert _run(["ensure-demo", "--logins-file", str(logins)], env) == 0
    recorded = json.loads(logins.read_text())
    damaged = {**recorded, "someone.else": "kept as is"}
    del damaged["auditor"]
    logins.write_text(json.dumps(damaged))
    os.chmod(logins, 0o644)
    assert _run(["ensure-demo", "--logins-file", str(logins)], env) == 0
    repaired = json.loads(logins.read_text())
    assert repaired["someone.else"] == "kept as is" and repaired["admin"] == recorded["admin"]
    assert cheap_passwords().check(users.get("auditor").password_hash, repaired["auditor"])
    assert stat.S_IMODE(os.stat(logins).st_mode) == 0o600


def test_ensure_demo_is_refused_in_production(env, tmp_path):
    production = {
        **env,
        "PASSAGE_PRODUCTION": "1",
        "INTERNAL_TOKEN_SECRET": "i" * 40,
        "ACCESS_TOKEN_SECRET": "a" * 40,
        "AUDIT_CHAIN_KEY": "k" * 40,
        "AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl"),
    }
    assert _run(["ensure-demo", "--logins-file", str(tmp_path / "l.json")], production) == 1
    assert not (tmp_path / "l.json").exists()


def test_create_reads_the_password_from_stdin(env, users):
    args = [
        "create",
        "--username",
        "officer.de",
        "--role",
        "liaison_officer",
        "--member-state",
        "DE",
        "--member-state",
        "AT",
    ]
    assert _run(args, env, stdin="a long enough password\n") == 0
    user = users.get("officer.de")
    assert user.member_states == ("DE", "AT") and not user.disabled
    assert cheap_passwords().check(user.password_hash, "a long enough password")
    assert _run(args, env, stdin="a long enough password\n") == 1  # taken


@pytest.mark.parametrize(
    "args, password",
    [
        (["--username", "x", "--role", "auditor"], "a long enough password"),
        (["--username", "staff.ganja", "--role", "centre_staff"], "a long enough password"),
        (["--username", "partner.x", "--role", "partner"], "a long enough password"),
        (["--username", "auditor2", "--role", "auditor"], "short"),
        (["--username", "auditor2", "--role", "auditor"], ""),
        (
            ["--username", "auditor2", "--role", "auditor"],
            "aaaaaaaaaaaa",
        ),  # issue 12: any 12 characters passed
        (["--username", "auditor2", "--role", "auditor"], "qwerty123456"),
    ],
)
def test_create_refuses_bad_accounts_and_weak_passwords(env, users, args, password):
    assert _run(["create", *args], env, stdin=password + "\n") == 1
    assert users.mongo.collection("users").count_documents({}) == 0


def test_disable_stops_an_account(env, users):
    assert (
        _run(
            ["create", "--username", "staff.baku", "--role", "centre_staff", "--centre", "baku"],
            env,
            stdin="a long enough password\n",
        )
        == 0
    )
    assert _run(["disable", "--username", "staff.baku"], env) == 0
    assert users.get("staff.baku").disabled
    assert _run(["disable", "--username", "nobody.here"], env) == 1


def test_reset_password_sets_the_new_one_and_revokes_tokens(env, users):
    from gateway.auth.sessions import Revocations

    assert (
        _run(
            ["create", "--username", "auditor.two", "--role", "auditor"],
            env,
            "first long password\n",
        )
        == 0
    )
    assert _run(["reset-password", "--username", "auditor.two"], env, "second long password\n") == 0
    user = users.get("auditor.two")
    assert Passwords().check(user.password_hash, "second long password")
    assert Revocations(users.mongo, 900, cache_seconds=0).is_revoked(
        "any-jti", "auditor.two", issued_at=0
    )
    assert _run(["reset-password", "--username", "nobody.here"], env, "second long password\n") == 1
    assert _run(["reset-password", "--username", "auditor.two"], env, "short\n") == 1


def test_the_cli_says_why_a_password_is_refused(env, users, capsys):
    assert (
        _run(["create", "--username", "auditor2", "--role", "auditor"], env, stdin="aaaaaaaaaaaa\n")
        == 1
    )
    assert "too easy to guess" in capsys.readouterr().err


def test_throttles_are_listed_and_cleared_from_the_cli(env, users, capsys):
    from datetime import datetime

    from gateway.auth.throttle import MongoLoginThrottle

    throttle = MongoLoginThrottle(users.mongo)
    now = datetime.now(UTC)
    for client in ("203.0.113.9", "10.0.0.7"):
        throttle.record_failure("staff.baku", client, now)
    assert _run(["throttles", "--username", "staff.baku"], env) == 0
    shown = capsys.readouterr().out
    assert "203.0.113.9" in shown and "10.0.0.7" in shown and "failures=1" in shown
    assert (
        _run(["clear-throttles", "--username", "staff.baku", "--client", "203.0.113.9"], env) == 0
    )
    assert "cleared 1" in capsys.readouterr().out
    assert [t.client for t in throttle.list(now, "staff.baku")] == ["10.0.0.7"]
