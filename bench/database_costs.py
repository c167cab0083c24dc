"""What the embedded database charges: its CPU per statement, per document and per index.

The foundation bench shows an admission costing about 9 statements and 13 ms of SecantusDB's CPU,
against 1 statement and 0.6 ms for the plain insert it is compared with. This bench takes the
admission apart on a SecantusDB of its own (durable, as the launcher runs it), measuring the
server's CPU (``/proc/<pid>/stat``) around each kind of statement:

- an insert of a stay-sized document with 0, 5 and 15 secondary indexes (a stay has 15);
- an update of a field no index covers, on the same documents (the outbox settle is one);
- the same inserts, 10 documents per statement (what a statement costs beside its documents);
- a read by ``_id``;
- a versioned change that returns the document, as one findAndModify and as an update and a read
  (SecantusDB scans the whole collection for a findAndModify, even by ``_id``);
- the admission's transaction (a conditional increment, an insert, commit) beside the same two
  writes without a transaction.

The first line of each group, with no secondary index, is the same-run baseline.

    ./passage py bench/database_costs.py [--documents 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from pymongo import MongoClient, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.dbops import OpMeter  # noqa: E402

INDEX_COUNTS = (0, 5, 15)


def stay_like(i: int) -> dict:
    """A document of a stay's shape and size: twenty fields and an outbox envelope."""
    doc: dict = {"_id": f"stay-{i:08d}", **{f"field{k}": f"value {k} of {i}" for k in range(20)}}
    doc["outbox"] = [{"id": f"event-{i}", "type": "detention.stay.opened", "data": "x" * 400}]
    doc["outbox_pending"] = True
    return doc


def measured(meter: OpMeter, work: Callable[[], object], per: int) -> float:
    """The server's CPU milliseconds per ``per`` (statements or documents) over ``work``."""
    before = meter.server_cpu() or 0.0
    work()
    return ((meter.server_cpu() or 0.0) - before) * 1000 / per


def bench(client: MongoClient, meter: OpMeter, n: int) -> list[str]:
    lines = [by_indexes(client["costs"], meter, count, n) for count in INDEX_COUNTS]
    lines.append(change_and_read(client["costs"]["changed"], meter, n))
    lines.append(admission(client, meter, n))
    return lines


def by_indexes(db: Database, meter: OpMeter, count: int, n: int) -> str:
    """Insert, update and read ``n`` stay-like documents in a collection of ``count`` indexes."""
    single, many = db[f"single{count}"], db[f"many{count}"]
    for collection in (single, many):
        for k in range(count):
            collection.create_index([(f"field{k}", 1), ("_id", 1)])
    docs = [stay_like(i) for i in range(n)]
    settled = {"$unset": {"outbox": "", "outbox_pending": ""}}
    insert = measured(meter, lambda: [single.insert_one(d) for d in docs], n)
    per_doc = measured(
        meter, lambda: [many.insert_many(docs[i : i + 10]) for i in range(0, n, 10)], n
    )
    update = measured(
        meter, lambda: [single.update_one({"_id": d["_id"]}, settled) for d in docs], n
    )
    read = measured(meter, lambda: [single.find_one({"_id": d["_id"]}) for d in docs], n)
    return (
        f"{count:>2} secondary indexes: insert {insert:5.2f} ms  "
        f"(10 a statement: {per_doc:5.2f} ms a document)  update {update:5.2f} ms  "
        f"read by _id {read:5.2f} ms"
    )


def change_and_read(collection: Collection, meter: OpMeter, n: int) -> str:
    """A versioned change returning the document, by ``_id``, in a collection of ``n``: as one
    findAndModify, and as an update and a read (what Passage sends to its large collections)."""
    collection.insert_many([{**stay_like(i), "version": 1} for i in range(n)])
    ids = [f"stay-{i:08d}" for i in range(0, n, max(1, n // 50))]
    bump = {"$inc": {"version": 1}}
    in_one = measured(
        meter,
        lambda: [
            collection.find_one_and_update({"_id": i}, bump, return_document=ReturnDocument.AFTER)
            for i in ids
        ],
        len(ids),
    )
    in_two = measured(
        meter,
        lambda: [
            (collection.update_one({"_id": i}, bump), collection.find_one({"_id": i})) for i in ids
        ],
        len(ids),
    )
    return (
        f"change + read back by _id among {n} documents: findAndModify {in_one:6.2f} ms, "
        f"update + read {in_two:5.2f} ms"
    )


def admission(client: MongoClient, meter: OpMeter, n: int) -> str:
    db = client["costs"]
    units, stays = db["units"], db["admitted"]
    units.insert_one({"_id": "unit", "occupancy": 0, "capacity": 10 * n})

    def take_and_open(i: int, session: ClientSession | None = None) -> None:
        units.find_one_and_update(
            {"_id": "unit", "$expr": {"$lt": ["$occupancy", "$capacity"]}},
            {"$inc": {"occupancy": 1}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        stays.insert_one({**stay_like(i), "_id": f"{session is not None}-{i}"}, session=session)

    def alone() -> None:
        for i in range(n):
            take_and_open(i)

    def in_transactions() -> None:
        for i in range(n):
            with client.start_session() as session:
                session.with_transaction(partial(take_and_open, i))

    plain = measured(meter, alone, n)
    transacted = measured(meter, in_transactions, n)
    return (
        f"admission's writes (conditional increment + insert): {plain:5.2f} ms alone, "
        f"{transacted:5.2f} ms in a transaction"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = servers.secantus(Path(tmp))
        client: MongoClient = MongoClient(url)
        meter = OpMeter(url, proc.pid)
        try:
            lines = bench(client, meter, args.documents)
        finally:
            meter.close()
            client.close()
            servers.stop(proc)
    print(f"\nSecantusDB's CPU per statement ({args.documents} documents a figure, one client)")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
