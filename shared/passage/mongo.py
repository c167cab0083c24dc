"""MongoDB access: one client per process (created lazily, after gunicorn forks), index
declarations applied at start-up, optimistic (versioned) updates and transactions.

pymongo is not fork-safe, so nothing here connects at import time or in a master process.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from passage.errors import VersionConflict
from passage.transaction import Transaction

T = TypeVar("T")
#: No single database round trip may hang a process for longer than this.
SOCKET_TIMEOUT_MS = 60_000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Index:
    """An index declaration: applied (idempotently) when a process starts."""

    collection: str
    keys: Sequence[tuple[str, int]]
    name: str
    unique: bool = False
    partial: Mapping[str, Any] | None = None
    expire_after_seconds: int | None = None

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"name": self.name, "unique": self.unique}
        if self.partial:
            opts["partialFilterExpression"] = dict(self.partial)
        if self.expire_after_seconds is not None:
            opts["expireAfterSeconds"] = self.expire_after_seconds
        return opts


@dataclass(frozen=True)
class RetiredIndex:
    """An index no longer declared: dropped at start-up where an older release created it (every
    index is written on every insert, so one that serves no query is pure cost)."""

    collection: str
    name: str


# How often each client checks the server when idle (pymongo's default, 10 s, is a command every
# 10 s per client: with a dozen processes, the largest share of an idle stack's database work).
# A failed operation marks the server unknown at once, so this delays nothing but idle monitoring.
HEARTBEAT_MS = 60_000


class Mongo:
    """Holds this process's MongoClient, created on first use in the process that uses it."""

    def __init__(self, url: str, database: str, *, timeout_ms: int = 5000) -> None:
        self.url = url
        self.database_name = database
        self.timeout_ms = timeout_ms
        self._client: MongoClient | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._collections: dict[str, Collection] = {}  # of this process's client

    @property
    def client(self) -> MongoClient:
        """The client for this process; a forked child gets a fresh one."""
        pid = os.getpid()
        if self._client is None or self._pid != pid:
            with self._lock:
                if self._client is None or self._pid != pid:
                    self._client = MongoClient(
                        self.url,
                        serverSelectionTimeoutMS=self.timeout_ms,
                        connectTimeoutMS=self.timeout_ms,
                        tz_aware=True,
                        uuidRepresentation="standard",
                        # retryWrites is left to the URL (pymongo's default: on). A keyword here
                        # would override the URL's ``retryWrites=false`` that the embedded
                        # SecantusDB needs (devstack/database.py says why).
                        # A backstop for work outside a request (workers, commands); requests run
                        # under passage.overload's shorter per-request deadline (pymongo.timeout).
                        socketTimeoutMS=SOCKET_TIMEOUT_MS,
                        heartbeatFrequencyMS=HEARTBEAT_MS,
                    )
                    self._collections = {}
                    self._pid = pid
        return self._client

    @property
    def db(self) -> Database:
        return self.client[self.database_name]

    def collection(self, name: str) -> Collection:
        """The named collection of this process's client; the handle is made once (pymongo builds
        a new one, options and all, on every ``db[name]``), and is safe to share across threads."""
        client = self.client  # a new client (after a fork) starts with no handles
        found = self._collections.get(name)
        if found is None:
            found = self._collections[name] = client[self.database_name][name]
        return found

    def ping(self) -> bool:
        """True when the server answers; used by /readyz."""
        try:
            self.client.admin.command("ping")
            return True
        except PyMongoError:
            return False

    def ensure_indexes(self, indexes: Iterable[Index | RetiredIndex]) -> None:
        """Create declared indexes (an existing one with the same name is left alone) and drop
        retired ones that are still there."""
        for index in indexes:
            if isinstance(index, RetiredIndex):
                self._drop_index(index)
                continue
            try:
                self.db[index.collection].create_index(list(index.keys), **index.options())
            except OperationFailure as exc:
                if exc.code not in (85, 86):  # IndexOptionsConflict / IndexKeySpecsConflict
                    raise

    def _drop_index(self, index: RetiredIndex) -> None:
        try:
            self.db[index.collection].drop_index(index.name)
        except OperationFailure as exc:
            if exc.code not in (26, 27):  # NamespaceNotFound / IndexNotFound: already gone
                raise

    def transaction(self, work: Callable[[ClientSession], T]) -> T:
        """Run ``work(session)`` in a transaction, retried on transient conflicts.

        Needs a replica set (production: single-node RS; embedded: SecantusDB advertises one).
        """
        with self.client.start_session() as session:
            return session.with_transaction(
                work,
                read_concern=ReadConcern("snapshot"),
                write_concern=WriteConcern("majority"),
            )

    def close(self) -> None:
        if self._client is not None and self._pid == os.getpid():
            self._client.close()
        self._client = None


def session_of(tx: Transaction | None) -> ClientSession | None:
    """The driver's session behind a handler's :class:`~passage.transaction.Transaction`."""
    return cast("ClientSession | None", tx)


def update_if_version(
    collection: Collection,
    doc_id: Any,
    expected_version: int,
    update: dict[str, Any],
    *,
    session: ClientSession | None = None,
) -> bool:
    """Apply ``update`` and bump the version only if the document is still at
    ``expected_version``: one round trip; False when it is not (moved on, or gone)."""
    update = {**update, "$inc": {**update.get("$inc", {}), "version": 1}}
    # update_one rather than find_one_and_update: SecantusDB answers the latter with a collection
    # scan even by _id (hundreds of ms at 20k documents), update_one by index.
    result = collection.update_one(
        {"_id": doc_id, "version": expected_version}, update, session=session
    )
    return bool(result.matched_count)


def update_versioned(
    collection: Collection,
    doc_id: Any,
    expected_version: int,
    update: dict[str, Any],
    *,
    session: ClientSession | None = None,
) -> dict[str, Any]:
    """Apply ``update`` only if the document is still at ``expected_version``; bump the version.

    Returns the updated document (read back: callers that need no answer use
    :func:`update_if_version`), raises :class:`VersionConflict` (or KeyError when missing).
    """
    if update_if_version(collection, doc_id, expected_version, update, session=session):
        doc = collection.find_one({"_id": doc_id}, session=session)
        if doc is not None:
            return doc
    current = collection.find_one({"_id": doc_id}, {"version": 1}, session=session)
    if current is None:
        raise KeyError(doc_id)
    raise VersionConflict(current.get("version"))


def safe_value(value: Any) -> Any:
    """Refuse anything that could act as a query operator: only scalars reach a filter.

    Request values are validated by schemas first; this is the last line of defence that
    keeps a ``{"$ne": null}`` or a ``$where`` out of any filter built from a request.
    """
    if isinstance(value, (dict, list, tuple, set)):
        raise ValueError("filter values must be scalars")
    if isinstance(value, str) and value.startswith("$"):
        raise ValueError("filter values must not start with '$'")
    return value


def ensure_indexes_until_ready(
    mongo: Mongo, indexes: Sequence[Index | RetiredIndex], stop: threading.Event
) -> bool:
    """Apply ``indexes``, waiting for the database as long as it takes; False if stopped first.

    Workers call this before they start consuming, so a worker started before its database
    waits instead of crashing.
    """
    delay = 0.5
    while not stop.is_set():
        try:
            mongo.ensure_indexes(indexes)
            return True
        except PyMongoError as exc:
            log.warning(
                "database not ready, retrying",
                extra={"error": type(exc).__name__, "in_seconds": delay},
            )
            stop.wait(delay)
            delay = min(delay * 2, 10.0)
    return False


def update_one_and_read(
    collection: Collection,
    query: Mapping[str, Any],
    update: Mapping[str, Any],
    *,
    projection: Mapping[str, Any] | None = None,
    session: ClientSession | None = None,
) -> dict[str, Any] | None:
    """``find_one_and_update`` (returning the changed document) as update_one + read by ``_id``.

    SecantusDB answers findAndModify with a collection scan even when the filter names ``_id``
    (120 ms at 20k documents against 1.3 ms this way), so large collections use this. Inside a
    transaction the read-back sees exactly the write; outside one, it may see a later write too,
    so a counter whose total must be its own increment's (rate limits) keeps findAndModify.
    ``query`` must name ``_id``.
    """
    result = collection.update_one(dict(query), dict(update), session=session)
    if not result.matched_count:
        return None
    return collection.find_one({"_id": query["_id"]}, projection, session=session)


#: A change stream is asked again at once after news, then after pauses doubling from
#: ``QUICKEST_ASK`` to ``SLOWEST_ASK`` while the server answers at once with nothing (SecantusDB
#: answers an empty batch on any write to the database): the write that follows an event, often
#: the next one, is seen within milliseconds, and a busy database is asked once a second at most.
QUICKEST_ASK, SLOWEST_ASK = 0.01, 1.0


def ask_again_after(pause: float, news: bool) -> float:
    """The pause before asking a change stream again (see ``QUICKEST_ASK``)."""
    return QUICKEST_ASK if news else min(pause * 2, SLOWEST_ASK)
