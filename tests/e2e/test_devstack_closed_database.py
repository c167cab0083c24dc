"""The launcher's stack keeps its data closed: SecantusDB with access control, one user per service,
and ``var/`` private to its owner (finding 6 of issue 11: no credentials, files world-readable).

One stack start for the whole module; no seeding beyond one read through the gateway.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from devstack import database
from devstack.probes import free_port_base
from devstack.stack import Stack

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("closed") / "var"
    var.mkdir(mode=0o755)
    (var / "left-by-an-old-run.log").write_text("x")  # what an older launcher left world-readable
    os.chmod(var / "left-by-an-old-run.log", 0o644)
    with Stack(
        REPO,
        var_dir=var,
        base_port=free_port_base(),
        env={"MONGO_URL": None, "AMQP_URL": None},
        workers=1,
    ) as running:
        yield running


def _client(url: str) -> MongoClient:
    return MongoClient(url, serverSelectionTimeoutMS=3000)


def test_an_unauthenticated_connection_is_refused(stack: Stack) -> None:
    with _client(f"mongodb://127.0.0.1:{stack.mongo_port}/") as anonymous:
        with pytest.raises(OperationFailure, match="requires authentication"):
            anonymous["passage_detention"]["stays"].find_one({})
        with pytest.raises(OperationFailure):
            anonymous.list_database_names()


def test_a_wrong_password_is_refused(stack: Stack) -> None:
    user = stack.database_accounts()["detention"]
    wrong = database.DatabaseUser(user.name, "not-the-password", user.databases)
    assert not database.signs_in(wrong.url(stack.mongo_port))
    assert database.signs_in(user.url(stack.mongo_port))


def test_each_service_reads_its_own_database_only(stack: Stack) -> None:
    accounts = stack.database_accounts()
    with _client(stack.mongo_url) as admin:  # something to read in every database
        for name in (
            "passage_detention",
            "passage_readmission",
            "passage_voluntary_return",
            "passage_gateway",
        ):
            admin[name]["probe"].insert_one({"_id": "probe"})
    for service, user in accounts.items():
        if service == database.ADMIN:
            continue
        own = user.databases[0]
        with _client(user.url(stack.mongo_port)) as client:
            assert client[own]["probe"].find_one({}) == {"_id": "probe"}
            for other in (
                "passage_detention",
                "passage_readmission",
                "passage_voluntary_return",
                "passage_gateway",
            ):
                if other != own:
                    with pytest.raises(OperationFailure, match="not authorized|Unauthorized"):
                        client[other]["probe"].find_one({})


def test_each_process_gets_its_own_credentials_and_only_the_secrets_it_needs(stack: Stack) -> None:
    detention, gateway = stack.process_env("detention"), stack.process_env("gateway")
    assert "detention:" in detention["MONGO_URL"] and "gateway:" in gateway["MONGO_URL"]
    assert "AUDIT_CHAIN_KEY" not in detention and len(gateway["AUDIT_CHAIN_KEY"]) >= 32
    assert gateway["AUDIT_CHECKPOINT_FILE"] == str(stack.var_dir / "audit-checkpoints.jsonl")


def _audit(stack: Stack, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gateway.admin.audit", command],
        env=stack.process_env("gateway"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def checkpointed(stack: Stack) -> Stack:
    """One audited event (a failed sign-in) and a checkpoint of it, written on demand."""
    r = requests.post(
        f"{stack.gateway_url}/api/v1/auth/login",
        json={"username": "nobody", "password": "x" * 12},
        timeout=10,
    )
    assert r.status_code == 401, r.text
    done = _audit(stack, "checkpoint")
    assert done.returncode == 0, done.stderr
    return stack


def test_the_gateway_audits_and_checkpoints_with_its_own_key(checkpointed: Stack) -> None:
    done = _audit(checkpointed, "verify")
    assert done.returncode == 0, done.stderr
    assert "intact: 1 records, consistent with 1 checkpoints" in done.stdout


def test_var_and_everything_in_it_is_private(checkpointed: Stack) -> None:
    """Data files, logs, secrets, the pid file, the checkpoints: 0700 directories, 0600 files."""
    stack = checkpointed
    var = stack.var_dir
    for required in (
        "secrets.json",
        "stack.pids",
        "audit-checkpoints.jsonl",
        "log/gateway.log",
        "log/secantus.log",
    ):
        assert (var / required).exists(), required
    assert any((var / "secantus").iterdir()), "the database wrote no files"
    loose = []
    for directory, dirs, files in os.walk(var):
        for name, _mode in [*((d, 0o700) for d in dirs), *((f, 0o600) for f in files)]:
            path = Path(directory, name)
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            if not path.is_symlink() and mode & 0o077:
                loose.append(f"{path.relative_to(var)} {oct(mode)}")
    assert stat.S_IMODE(os.stat(var).st_mode) == 0o700
    assert loose == []
