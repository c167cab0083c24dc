"""The launcher's own pieces, fast: its CLI, its secrets file, and how it finds leftovers.

The slow end-to-end runs are in test_stack_e2e.py; these need no database and no services.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devstack import keys, processes
from devstack.processes import MARKER, ProcessSpec
from devstack.stack import Stack, _merged_env
from passage.testing import wait_for

REPO = Path(__file__).resolve().parents[2]


def test_python_dash_m_devstack_help_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "devstack", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--port-base" in done.stdout and "--no-seed" in done.stdout


def test_secrets_are_made_once_kept_private_and_overridable(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.json"
    first = keys.load_or_create(path, {})
    assert set(first) == {"INTERNAL_TOKEN_SECRET", "ACCESS_TOKEN_SECRET", "AUDIT_CHAIN_KEY"}
    assert all(len(v) >= 48 for v in first.values())
    assert path.stat().st_mode & 0o777 == 0o600
    assert keys.load_or_create(path, {}) == first
    assert (
        keys.load_or_create(path, {"ACCESS_TOKEN_SECRET": "x" * 40})["ACCESS_TOKEN_SECRET"]
        == "x" * 40
    )


def test_ports_and_wiring_follow_the_base_port(tmp_path: Path) -> None:
    stack = Stack(REPO, var_dir=tmp_path, base_port=9100, env={"MONGO_URL": None, "AMQP_URL": ""})
    assert stack.urls == {
        "gateway": "http://127.0.0.1:9100",
        "detention": "http://127.0.0.1:9101",
        "readmission": "http://127.0.0.1:9102",
        "voluntary-return": "http://127.0.0.1:9103",
    }
    assert stack.mongo_url.startswith("mongodb://passage_admin:") and stack.embedded_database
    assert stack.mongo_url.endswith("@127.0.0.1:9118/?authSource=admin&retryWrites=false")
    env = stack.process_env()
    assert env["DETENTION_URL"] == "http://127.0.0.1:9101" and env[MARKER] == str(
        tmp_path.resolve()
    )
    assert "--bind" in stack.specs()[0].argv and "127.0.0.1:9101" in stack.specs()[0].argv


def test_an_override_of_none_removes_a_variable() -> None:
    assert _merged_env({"A": "1", "B": "2"}, {"A": None, "C": "3"}) == {"B": "2", "C": "3"}


def test_leftovers_are_stopped_only_when_they_are_really_ours(tmp_path: Path) -> None:
    mine = ProcessSpec("sleeper", (sys.executable, "-c", "import time; time.sleep(300)"))
    theirs = ProcessSpec("other", (sys.executable, "-c", "import time; time.sleep(301)"))
    env = {**os.environ, MARKER: str(tmp_path)}
    ours = processes.spawn(mine, env, REPO, tmp_path / "log")
    foreign = processes.spawn(theirs, {**env, MARKER: "/somewhere/else"}, REPO, tmp_path / "log")
    try:
        wait_for(
            lambda: processes.is_ours(ours.pid, list(mine.argv), tmp_path),
            timeout=10,
            message="the sleeper",
        )
        pidfile = tmp_path / "stack.pids"
        processes.write_pidfile(
            pidfile, {"sleeper": (ours.pid, mine.argv), "other": (foreign.pid, theirs.argv)}
        )
        assert (
            processes.running_launcher(pidfile) is None
        )  # this process wrote it: not "another launcher"
        assert processes.stop_leftovers(processes.read_pidfile(pidfile), tmp_path, timeout=10) == [
            "sleeper"
        ]
        assert ours.wait(timeout=10) is not None
        assert foreign.poll() is None, "a process of another stack must never be killed"
    finally:
        processes.stop_children([ours, foreign], timeout=5)
    assert '"starting process"' in (tmp_path / "log" / "sleeper.log").read_text()


def test_the_summary_names_the_logins_file_but_prints_no_password(tmp_path: Path, capsys) -> None:
    """Issue 12: demo passwords were printed to the launcher's output."""
    from devstack.__main__ import print_summary

    stack = Stack(REPO, var_dir=tmp_path, base_port=9200, env={"MONGO_URL": None})
    stack.started_in = 1.0
    stack.logins_file.write_text(
        '{"admin": "Secret-Demo-Password-1", "staff.baku": "Secret-Demo-Password-2"}'
    )
    print_summary(stack, None)
    shown = capsys.readouterr().out
    assert str(stack.logins_file) in shown and "admin" in shown and "staff.baku" in shown
    assert "Secret-Demo-Password" not in shown
