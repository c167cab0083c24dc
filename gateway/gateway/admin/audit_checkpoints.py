"""Signed checkpoints of the audit chain segments' heads, kept in a file outside the database.

A checkpoint says "at time T segment S had N records and its newest record's hash was H", sealed
with the chain key (HMAC-SHA256). Someone who can write the database can cut off the newest
records of a segment, or a whole segment, and leave chains that verify; the checkpoint file, on the
gateway's disk (ship it to a write-once store or remote log in production), still says the segment
was further. Lines are only ever appended (``O_APPEND``, mode 0600, fsync). Each gateway process
checkpoints its own segment ``interval`` seconds after it appended a record, from the head it holds
in memory (so at most that much of the newest trail is unprotected, and no database read is
needed), and ``python -m gateway.admin.audit checkpoint`` checkpoints every stored segment on
demand.
Checkpoints written before segments (no ``segment``) are of the legacy chain.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gateway.admin.audit import LEGACY, Head, segments
from gateway.admin.audit_keys import ChainKey, Keyring

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint"  # the HMAC purpose of checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at one moment, sealed."""

    count: int
    head: str
    at: str
    key_id: str
    seal: str = ""
    segment: str = LEGACY

    def message(self) -> bytes:
        body = {"count": self.count, "head": self.head, "at": self.at, "key_id": self.key_id}
        if self.segment != LEGACY:  # legacy checkpoints keep their seals
            body["segment"] = self.segment
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def sealed(cls, head: Head, at: str, key: ChainKey) -> Checkpoint:
        segment, count, newest = head
        unsealed = cls(count, newest, at, key.key_id, segment=segment)
        seal = key.seal(CHECKPOINT, unsealed.message())
        return cls(count, newest, at, key.key_id, seal, segment)

    def genuine(self, keyring: Keyring) -> bool:
        return keyring.seals_match(self.key_id, CHECKPOINT, self.message(), self.seal)


class CheckpointFile:
    """The append-only JSON-lines file of checkpoints."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def append(self, checkpoint: Checkpoint) -> None:
        """Add one line in a single ``write`` (whole lines even with several gateway processes)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        line = (json.dumps(asdict(checkpoint), sort_keys=True) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> Iterator[tuple[int, Checkpoint | None]]:
        """``(line number, checkpoint)``; None for a line that is not a checkpoint at all."""
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            return
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, _parse(line)


def _parse(line: str) -> Checkpoint | None:
    try:
        data = json.loads(line)
        return Checkpoint(
            count=int(data["count"]),
            head=str(data["head"]),
            at=str(data["at"]),
            key_id=str(data["key_id"]),
            seal=str(data["seal"]),
            segment=str(data.get("segment") or LEGACY),
        )
    except (ValueError, KeyError, TypeError):
        return None


def checkpoint_problem(
    checkpoints: Iterator[tuple[int, Checkpoint | None]],
    keyring: Keyring,
    records: Iterable[Mapping[str, Any]],
) -> str | None:
    """The first checkpoint the stored chain (``records`` in ``seq`` order) contradicts, or None."""
    stored = segments(records)
    for number, cp in checkpoints:
        if cp is None or not cp.genuine(keyring):
            return (
                f"checkpoint line {number} is not sealed by a known key "
                "(the checkpoint file was edited)"
            )
        hashes = stored.get(cp.segment, [])
        where = f"segment {cp.segment}" if cp.segment != LEGACY else "the trail"
        if cp.count > len(hashes):
            return (
                f"the newest records were removed: the checkpoint of {cp.at} says {where} had "
                f"{cp.count} records, only {len(hashes)} are stored"
            )
        if cp.count and hashes[cp.count - 1] != cp.head:
            return (
                f"record {cp.count} of {where} is not the one checkpointed at {cp.at} "
                "(the trail was rewritten up to there)"
            )
    return None


class Checkpointer:
    """Writes a checkpoint of the current heads ``interval`` seconds after a record was appended."""

    def __init__(
        self,
        file: CheckpointFile,
        key: ChainKey,
        heads: Callable[[], list[Head]],
        clock: Callable[[], str],
        interval: float,
    ) -> None:
        self.file, self.key, self.heads, self.clock = file, key, heads, clock
        self.interval = interval
        self._written: dict[str, int] = {}  # segment → records already checkpointed
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._flush_at_exit = False

    def written(self) -> None:
        """Arm the next checkpoint unless one is already due (called after each append)."""
        with self._lock:
            if not self._flush_at_exit:  # a worker stopping writes what it has not checkpointed yet
                atexit.register(self.flush)
                self._flush_at_exit = True
            if self._timer is None:
                self._timer = threading.Timer(self.interval, self._fire)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Write the due checkpoint now, if one is due."""
        with self._lock:
            due, self._timer = self._timer, None
        if due is not None:
            due.cancel()
            self._fire()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self.write_now()
        except Exception:  # the next append re-arms; operators see the failure
            log.exception("audit checkpoint could not be written")

    def write_now(self) -> list[Checkpoint]:
        """Checkpoint every head that moved since its last checkpoint."""
        written = []
        for head in self.heads():
            segment, count, _ = head
            if self._written.get(segment) != count:
                checkpoint = Checkpoint.sealed(head, self.clock(), self.key)
                self.file.append(checkpoint)
                self._written[segment] = count
                written.append(checkpoint)
        return written

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
