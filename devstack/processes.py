"""Start, find and stop the stack's OS processes; knows nothing about Passage itself.

Every process runs in its own process group (its own session), so one signal reaches a
gunicorn master and its workers together, and a Ctrl-C in the launcher's terminal reaches
only the launcher, which then stops the groups in order. Pids go to a pid file so that the
next start can find and end what a crashed launcher left behind; before it kills anything it
checks that the process is really one of this stack's (same command line, same stack dir).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

MARKER = "PASSAGE_STACK_DIR"
_PROC = Path("/proc")
# Everything under var/ (database files, logs, secrets, pid file) holds names and medical notes or
# the keys to them: owner only. Children inherit the umask, so what they create is private too.
PRIVATE_UMASK = 0o077


@dataclass(frozen=True)
class ProcessSpec:
    """One process of the stack: its name (log file, pid file key), command, readiness URL."""

    name: str
    argv: tuple[str, ...]
    ready_url: str | None = None


def spawn(spec: ProcessSpec, env: Mapping[str, str], cwd: Path, log_dir: Path) -> subprocess.Popen:
    """Start ``spec`` in a new session, stdout and stderr appended to ``log_dir/<name>.log``."""
    log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(log_dir / f"{spec.name}.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "ab") as log:
        _note(log, spec)
        return subprocess.Popen(
            list(spec.argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=PRIVATE_UMASK,
        )


def make_private(root: Path) -> None:
    """``root`` and everything under it: directories 0700, files 0600 (also what older runs left
    0644)."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    for directory, dirs, files in os.walk(root):
        for name in dirs:
            _chmod(Path(directory, name), 0o700)
        for name in files:
            _chmod(Path(directory, name), 0o600)


def _chmod(path: Path, mode: int) -> None:
    try:
        if not path.is_symlink():
            os.chmod(path, mode)
    except FileNotFoundError:  # a file a running process removed meanwhile
        pass


def _note(log: IO[bytes], spec: ProcessSpec) -> None:
    entry = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "level": "info",
        "service": "devstack",
        "msg": "starting process",
        "process": spec.name,
        "argv": list(spec.argv),
    }
    log.write((json.dumps(entry) + "\n").encode())
    log.flush()


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file (empty when there is none)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# --- the pid file -------------------------------------------------------------------------------


def write_pidfile(path: Path, procs: Mapping[str, tuple[int, Iterable[str]]]) -> None:
    """Record the launcher and ``{name: (pid, argv)}`` atomically (never half a file)."""
    data = {
        "launcher": {"pid": os.getpid(), "cmdline": cmdline(os.getpid())},
        "processes": {
            name: {"pid": pid, "argv": list(argv)} for name, (pid, argv) in procs.items()
        },
    }
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(data, indent=1))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def read_pidfile(path: Path) -> dict[str, tuple[int, list[str]]]:
    """The processes a previous start recorded (empty when the file is missing or unreadable)."""
    try:
        data = json.loads(path.read_text())["processes"]
        return {
            name: (int(entry["pid"]), [str(a) for a in entry["argv"]])
            for name, entry in data.items()
        }
    except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def running_launcher(path: Path) -> int | None:
    """Pid of another launcher still running the stack recorded in ``path``, if any."""
    try:
        launcher = json.loads(path.read_text())["launcher"]
        pid, recorded = int(launcher["pid"]), launcher["cmdline"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or not recorded or not is_alive(pid):
        return None
    return pid if cmdline(pid) == recorded else None


# --- finding processes --------------------------------------------------------------------------


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``."""
    if _PROC.is_dir():
        return [pid for pid, group, state in _proc_table() if group == pgid and state != "Z"]
    return [pid for pid, group, state in _ps_table() if group == pgid and not state.startswith("Z")]


def _proc_table() -> list[tuple[int, int, str]]:
    rows = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        rows.append((int(entry.name), int(fields[2]), fields[0]))
    return rows


def _ps_table() -> list[tuple[int, int, str]]:
    out = subprocess.run(
        ["ps", "-axo", "pid=,pgid=,stat="], capture_output=True, text=True, check=False
    ).stdout
    return [
        (int(p), int(g), s)
        for p, g, s in (line.split(None, 2) for line in out.splitlines() if line.strip())
    ]


def cmdline(pid: int) -> list[str] | None:
    """The command line of ``pid`` (None when it cannot be read)."""
    if _PROC.is_dir():
        try:
            raw = (_PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            return None
        return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a] or None
    out = subprocess.run(
        ["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return out.stdout.split() or None


def is_ours(pid: int, argv: list[str], stack_dir: Path) -> bool:
    """True when ``pid`` runs ``argv`` for this stack (guards against pid reuse)."""
    if not _PROC.is_dir():
        return cmdline(pid) == " ".join(argv).split()
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return cmdline(pid) == argv and f"{MARKER}={stack_dir}".encode() in environ


# --- stopping -----------------------------------------------------------------------------------


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to a whole process group; a group that is already gone is fine."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_children(procs: list[subprocess.Popen], timeout: float) -> None:
    """SIGTERM each group, wait up to ``timeout`` in total, then SIGKILL what is left."""
    for proc in procs:
        signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for proc in procs:
        _wait_group_gone(proc.pid, max(0.5, deadline - time.monotonic()))


def stop_leftovers(
    leftovers: Mapping[str, tuple[int, list[str]]], stack_dir: Path, timeout: float
) -> list[str]:
    """End the verified leftovers of an earlier start (not our children); names that were found."""
    found = {
        name: [p for p in group_members(pid) if is_ours(p, argv, stack_dir)]
        for name, (pid, argv) in leftovers.items()
    }
    found = {name: pids for name, pids in found.items() if pids}
    for pids in found.values():
        _signal_pids(pids, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for pids in found.values():
        while _alive(pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        _signal_pids(_alive(pids), signal.SIGKILL)
    for pids in found.values():
        _wait_until(partial(_all_ended, pids), 10)
    return sorted(found)


def _all_ended(pids: Iterable[int]) -> bool:
    return not _alive(pids)


def _signal_pids(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _alive(pids: Iterable[int]) -> list[int]:
    return [pid for pid in pids if is_alive(pid)]


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as ended)."""
    if _PROC.is_dir():
        try:
            stat = (_PROC / str(pid) / "stat").read_text()
        except OSError:
            return False
        return stat[stat.rindex(")") + 2] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_group_gone(pgid: int, timeout: float) -> None:
    """Orphans of a group (e.g. workers of a killed master) are killed too."""
    if not _wait_until(lambda: not group_members(pgid), timeout):
        signal_group(pgid, signal.SIGKILL)
        _wait_until(lambda: not group_members(pgid), 10)


def _wait_until(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.1)
    return bool(done())
