"""Readmission benchmark: worklist and statistics response times at 1k and 100k requests.

Starts its own SecantusDB and the readmission API under gunicorn (as in production), seeds
requests, open deadlines and statistics rows directly with bulk inserts, then times the
worklist (all scopes and one member state) and the monthly statistics. Beside each, in the
same run: a raw pymongo find_one on the same server and a bare Flask endpoint under gunicorn
(and, for reference, what a naive sorted scan of the deadlines costs on the same server).

    .venv/bin/python bench/readmission_worklist.py [--sizes 1000,100000] [--n 200] [--clients 4]
    [--open-every 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import requests
from pymongo import MongoClient
from pymongo.database import Database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.loadgen import Result, run_load, timed  # noqa: E402
from passage.identity import HEADER, Identity, sign_identity  # noqa: E402
from passage.mongo import Mongo  # noqa: E402
from readmission.adapters import repository  # noqa: E402
from readmission.adapters.deadline_index import bucket_of  # noqa: E402
from readmission.domain.protocols import MEMBER_STATES  # noqa: E402

SECRET = "bench-internal-secret-0123456789abcdef"
STATES = sorted(MEMBER_STATES)
KINDS = ("reply", "transfer", "travel_document", "submit")


def seed(db: Database, start: int, count: int, open_every: int = 1) -> None:
    """Bulk-insert ``count`` requests, every ``open_every``-th with one open deadline (due within
    -30..+90 days), the per-day counts, and the statistics rows."""
    today = date(2026, 11, 15)
    rng = random.Random(start)
    for offset in range(0, count, 5000):
        requests_batch, deadlines_batch = [], []
        for i in range(start + offset, start + min(offset + 5000, count)):
            rid = str(uuid.UUID(int=i + 1))
            ms, kind = STATES[i % len(STATES)], KINDS[i % len(KINDS)]
            due = today + timedelta(days=rng.randint(-30, 90))
            requests_batch.append(
                {
                    "_id": rid,
                    "version": 2,
                    "state": "submitted",
                    "direction": "outgoing",
                    "member_state": ms,
                    "person_ref": f"BENCH-{i}",
                    "category": "stateless",
                    "procedure": "normal",
                    "history": [],
                    "deadlines": {},
                    "evidence": [],
                }
            )
            if i % open_every:
                continue  # a settled request: its deadlines are closed, so it is not in the index
            deadlines_batch.append(
                {
                    "_id": f"{rid}:{kind}",
                    "request_id": rid,
                    "kind": kind,
                    "member_state": ms,
                    "direction": "outgoing",
                    "person_ref": f"BENCH-{i}",
                    "state": "submitted",
                    "due_on": due.isoformat(),
                    "unit": "calendar_days",
                    "amount": 15,
                    "calendar": ms,
                    "rule_version": "eu-az-2014.normal.2",
                    "missed_notified": False,
                    "source": {
                        "agreement": "EU-AZ",
                        "article": "Art. 11",
                        "paragraph": "2",
                        "verified": False,
                        "note": None,
                    },
                    "bucket": bucket_of(rid, ms, due.isoformat()),
                }
            )
        db.requests.insert_many(requests_batch, ordered=False)
        if deadlines_batch:
            db.deadlines.insert_many(deadlines_batch, ordered=False)
        days: dict[str, dict[str, int]] = {}
        slots: dict[str, dict[str, int]] = {}
        for entry in deadlines_batch:
            day, ms, slot = entry["bucket"].split("|")
            per_state, per_day = days.setdefault(ms, {}), slots.setdefault(day, {})
            per_state[f"days.{day}"] = per_state.get(f"days.{day}", 0) + 1
            per_day[f"slots.{ms}|{slot}"] = per_day.get(f"slots.{ms}|{slot}", 0) + 1
        for ms, incs in days.items():
            db.deadline_days.update_one({"_id": ms}, {"$inc": incs}, upsert=True)
        for day, incs in slots.items():
            db.deadline_buckets.update_one({"_id": day}, {"$inc": incs}, upsert=True)
    for ms in STATES:
        db.statistics.update_one(
            {"_id": f"{ms}:2026-11"},
            {
                "$setOnInsert": {"member_state": ms, "month": "2026-11"},
                "$inc": {
                    "requests_outgoing": count // 27,
                    "accepted": 3,
                    "replies_due": 4,
                    "answered_within_limit": 3,
                },
                "$push": {"reply_days": {"$each": [3, 9, 14]}},
            },
            upsert=True,
        )


def bench_http(
    base: str, path: str, name: str, headers: dict[str, str], n: int, clients: int
) -> Result:
    def call(session: requests.Session, _i: int) -> int:
        return session.get(f"{base}{path}", headers=headers, timeout=30).status_code

    return run_load(name, call, clients=clients, requests_per_client=max(1, n // clients))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--n", type=int, default=200, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--open-every",
        type=int,
        default=1,
        help="1 = every request has an open deadline (worst case); 50 = 2%% still open",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-readmission-"))
    env = {
        "READMISSION_MONGO_DB": "bench_readmission",
        "INTERNAL_TOKEN_SECRET": SECRET,
        "AMQP_URL": "",
    }
    with servers.api_beside_baseline(
        work,
        "readmission.app:create_app()",
        "readmission",
        env,
        lambda url: Mongo(url, "bench_readmission").ensure_indexes(repository.indexes()),
    ) as (mongo_url, api, baseline):
        run(mongo_url, api, baseline, args)


def run(mongo_url: str, api: str, baseline: str, args: argparse.Namespace) -> None:
    client: MongoClient = MongoClient(mongo_url, tz_aware=True)
    db = client["bench_readmission"]
    seeded = 0
    for size in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        seed(db, seeded, size - seeded, args.open_every)
        seeded = size
        print(
            f"\n== {size} requests (seeded in {time.perf_counter() - started:.1f}s: "
            f"{db.requests.estimated_document_count()} requests, "
            f"{db.deadlines.estimated_document_count()} deadlines)"
        )
        admin = {HEADER: sign_identity(Identity("bench-admin", "admin"), SECRET, ttl_seconds=3600)}
        officer = {
            HEADER: sign_identity(
                Identity("bench-officer", "liaison_officer", member_states=("DE", "FR")),
                SECRET,
                ttl_seconds=3600,
            )
        }
        wanted = str(uuid.UUID(int=size // 2))
        base_http = bench_http(
            baseline, "/ping", "baseline: bare Flask GET /ping", {}, args.n, args.clients
        )

        def find_wanted(i: int, wanted: str = wanted) -> object:
            return db.requests.find_one({"_id": wanted})

        raw = timed("baseline: raw pymongo find_one by _id", find_wanted, args.n)
        raw_sorted = timed(
            "reference: raw find().sort(due_on).limit(50)",
            lambda i: list(db.deadlines.find({}).sort("due_on", 1).limit(50)),
            3,
        )
        print(base_http.line())
        print(raw.line())
        print(raw_sorted.line(raw))
        for name, path, headers in (
            ("GET worklist (admin, 50 items)", "/api/v1/readmission/worklist?limit=50", admin),
            (
                "GET worklist (officer DE+FR, 50 items)",
                "/api/v1/readmission/worklist?limit=50",
                officer,
            ),
            (
                "GET statistics?month=2026-11 (27 rows)",
                "/api/v1/readmission/statistics?month=2026-11",
                admin,
            ),
        ):
            result = bench_http(api, path, name, headers, args.n, args.clients)
            print(result.line(base_http))
    client.close()


if __name__ == "__main__":
    main()
