"""Partner-report benchmark: building and publishing a month's three reports (the services'
statistics over real HTTP, suppression audited with linear programmes, stored frozen), and serving
the frozen copy, with 1k and 100k records (stays; readmission requests and AVRR cases in the same
number) — beside a raw pymongo aggregate over the same month's stays in the same run.

Each service's monthly read model is seeded directly with bulk inserts (what its transactions would
have written for that many records); the three services and the gateway run in this process over
real HTTP (threaded werkzeug servers) on one SecantusDB.

    .venv/bin/python bench/reports_publish.py [--mongo-url mongodb://…] [--repeat 5] [--sizes
    1000,100000]
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.detention_occupancy import UNITS, stay_document  # noqa: E402
from bench.loadgen import Result, timed  # noqa: E402
from detention.app import create_app as detention_app  # noqa: E402
from gateway.auth.tokens import issue_access_token  # noqa: E402
from gateway.composition.report_store import COLLECTION  # noqa: E402
from gateway.composition.reports import SPECS  # noqa: E402
from gateway.testing import gateway_for_tests, settings_for_tests  # noqa: E402
from passage.config import Settings  # noqa: E402
from passage.identity import Identity  # noqa: E402
from passage.mongo import Mongo  # noqa: E402
from passage.testing import LiveServer, identity_headers  # noqa: E402
from readmission.app import create_app as readmission_app  # noqa: E402
from voluntary_return.app import create_app as voluntary_return_app  # noqa: E402

FIRST_DAY, DAYS = date(2026, 1, 1), 365
MONTH, BEFORE = "2026-06", "2026-05"
NATIONALITIES = ("IRN", "AFG", "PAK", "IND", "BGD", "SYR", "IRQ", "GEO", "ERI", "TUR")
AGE_BANDS = ("0-13", "14-17", "18-34", "35-64", "65+")
STATES = ("DE", "FR", "NL", "PL", "AT", "SE", "BE", "IT", "ES", "CZ")


def seed_detention(mongo: Mongo, records: int, rng: random.Random) -> None:
    """Units, ``records`` stays over 2026 and the daily figures (with breakdowns) they would have
    written."""
    mongo.collection("units").insert_many(
        [
            {
                "_id": uid,
                "centre_id": cid,
                "name": uid,
                "category": cat,
                "capacity": records,
                "occupancy": 0,
                "declared_places": records,
                "blocked_places": [],
                "version": 1,
            }
            for cid, uid, cat in UNITS
        ]
    )
    daily: dict[tuple[str, int], dict] = {}
    stays = []
    for n in range(records):
        cid, uid, cat = UNITS[n % len(UNITS)]
        admitted, length = rng.randrange(DAYS), rng.randrange(5, 120)
        released = admitted + length if admitted + length < DAYS else None
        nationality, band = rng.choice(NATIONALITIES), rng.choice(AGE_BANDS)
        stays.append(stay_document(cid, uid, cat, admitted, released, nationality))
        day = daily.setdefault(
            (uid, admitted),
            {"admissions": 0, "releases": 0, "by_sex": {}, "by_age_band": {}, "by_nationality": {}},
        )
        day["admissions"] += 1
        for key, value in (
            ("by_sex", "male" if cat == "men" else "female"),
            ("by_age_band", band),
            ("by_nationality", nationality),
        ):
            day[key][value] = day[key].get(value, 0) + 1
        if released is not None:
            daily.setdefault(
                (uid, released),
                {
                    "admissions": 0,
                    "releases": 0,
                    "by_sex": {},
                    "by_age_band": {},
                    "by_nationality": {},
                },
            )["releases"] += 1
    for start in range(0, len(stays), 5000):
        mongo.collection("stays").insert_many(stays[start : start + 5000], ordered=False)
    docs, level = [], {uid: 0 for _, uid, _ in UNITS}
    for d in range(DAYS):
        for cid, uid, cat in UNITS:
            counts = daily.get((uid, d), {"admissions": 0, "releases": 0})
            level[uid] += counts["admissions"] - counts["releases"]
            docs.append(
                {
                    "_id": f"{uid}:{(FIRST_DAY + timedelta(days=d)).isoformat()}",
                    "unit_id": uid,
                    "centre_id": cid,
                    "category": cat,
                    "day": (FIRST_DAY + timedelta(days=d)).isoformat(),
                    "occupied": level[uid],
                    "capacity": records,
                    **counts,
                }
            )
    mongo.collection("occupancy_daily").insert_many(docs)


def seed_readmission(mongo: Mongo, records: int, rng: random.Random) -> None:
    """The per-state monthly rows ``records`` requests over 2026 would have left."""
    rows: dict[tuple[str, str], dict] = {}
    for _ in range(records):
        state, month = rng.choice(STATES), f"2026-{rng.randrange(1, 13):02d}"
        row = rows.setdefault(
            (state, month),
            {
                "_id": f"{state}:{month}",
                "member_state": state,
                "month": month,
                "by_category": {},
                "rejected_by_reason": {},
                "reply_days": [],
            },
        )
        row["requests_incoming"] = row.get("requests_incoming", 0) + 1
        category = rng.choice(("own_national", "third_country_national", "stateless"))
        row["by_category"][category] = row["by_category"].get(category, 0) + 1
        outcome = rng.choice(("accepted", "rejected", "deemed_accepted", "accepted"))
        row[outcome] = row.get(outcome, 0) + 1
        row["replies_due"] = row.get("replies_due", 0) + 1
        row["answered_within_limit"] = row.get("answered_within_limit", 0) + (
            outcome != "deemed_accepted"
        )
        if outcome == "rejected":
            for reason in rng.sample(
                ("evidence", "not_competent", "identity"), rng.randrange(1, 3)
            ):
                row["rejected_by_reason"][reason] = row["rejected_by_reason"].get(reason, 0) + 1
        if len(row["reply_days"]) < 500:
            row["reply_days"].append(rng.randrange(1, 20))
    mongo.collection("statistics").insert_many(list(rows.values()))


def seed_returns(mongo: Mongo, records: int, rng: random.Random) -> None:
    """The monthly rows ``records`` AVRR cases over 2026 would have left (one shard per row)."""
    rows: dict[tuple[str, str], dict] = {}
    for _ in range(records):
        nationality, month = rng.choice(NATIONALITIES), f"2026-{rng.randrange(1, 13):02d}"
        row = rows.setdefault(
            (nationality, month),
            {
                "_id": f"{month}|{nationality}|{nationality}|0",
                "month": month,
                "nationality": nationality,
                "destination_country": nationality,
                "referrals": 0,
                "departures": 0,
                "by_referral_source": {},
                "vulnerability": {},
                "by_stage": {},
            },
        )
        row["referrals"] += 1
        source = rng.choice(("detention_centre", "ngo", "self", "embassy"))
        row["by_referral_source"][source] = row["by_referral_source"].get(source, 0) + 1
        if rng.random() < 0.05:
            row["vulnerability"]["trafficking_victim"] = (
                row["vulnerability"].get("trafficking_victim", 0) + 1
            )
        if rng.random() < 0.5:
            row["departures"] += 1
    mongo.collection("monthly_statistics").insert_many(list(rows.values()))


def raw_aggregate(mongo: Mongo) -> int:
    """Baseline: the month's admissions by unit and nationality counted straight from the stays."""
    pipeline = [
        {"$match": {"admitted_on": {"$gte": f"{MONTH}-01", "$lte": f"{MONTH}-30"}}},
        {"$group": {"_id": {"u": "$unit_id", "n": "$nationality"}, "n": {"$sum": 1}}},
    ]
    return len(list(mongo.collection("stays").aggregate(pipeline)))


def measure(url: str, records: int, repeat: int) -> list[Result]:
    run = f"bench_rep_{records}"

    def settings(service: str) -> Settings:
        return Settings.from_env(service, env={}, mongo_url=url, mongo_db=f"{run}_{service}")

    rng = random.Random(records)
    mongos = {
        s: Mongo(url, f"{run}_{s}")
        for s in ("detention", "readmission", "voluntary-return", "gateway")
    }
    for mongo in mongos.values():
        mongo.client.drop_database(mongo.db.name)
    seed_detention(mongos["detention"], records, rng)
    seed_readmission(mongos["readmission"], records, rng)
    seed_returns(mongos["voluntary-return"], records, rng)
    apps = {
        "detention": detention_app(settings("detention")),
        "readmission": readmission_app(settings("readmission")),
        "voluntary-return": voluntary_return_app(settings("voluntary-return")),
    }
    servers = {name: LiveServer(app).__enter__() for name, app in apps.items()}
    try:
        gateway, deps = gateway_for_tests(
            settings_for_tests(
                settings("gateway"),
                {n: s.url for n, s in servers.items()},
                timeline_timeout=120.0,
                upstream_read_timeout=120.0,
            )
        )
        secret = settings("detention").internal_token_secret
        path_of = {spec.service: spec.path for spec in SPECS.values()}
        for (
            name,
            server,
        ) in servers.items():  # first requests build the services' indexes: not what is measured
            answer = requests.get(
                f"{server.url}{path_of[name]}",
                params={"month": BEFORE},
                headers=identity_headers(secret, role="system"),
                timeout=1800,
            )
            assert answer.status_code == 200, answer.text
        client = gateway.test_client()
        token = issue_access_token(Identity("admin", "admin"), deps.keys, ttl_seconds=3600)
        auth = {"Authorization": f"Bearer {token}"}
        path = f"/api/v1/reports/monthly?month={MONTH}"
        first = client.get(f"/api/v1/reports/monthly?month={BEFORE}", headers=auth)
        assert first.status_code == 200, first.get_data(as_text=True)
        published = deps.mongo.collection(COLLECTION)

        def publish(_: int) -> None:
            published.delete_many({"month": MONTH})
            answer = client.get(path, headers=auth)
            assert answer.status_code == 200, answer.get_data(as_text=True)

        results = [
            timed(
                f"baseline raw aggregate over stays ({records})",
                lambda i: raw_aggregate(mongos["detention"]),
                repeat * 4,
            ),
            timed(f"build+publish 3 reports ({records})", publish, repeat),
            timed(
                f"serve frozen month ({records})",
                lambda i: client.get(path, headers=auth),
                repeat * 4,
            ),
        ]
        report = client.get(path, headers=auth).json["reports"]
        hidden = sum(
            1
            for r in report.values()
            for row in (*r["rows"], r["totals"])
            for v in row.values()
            if v in ("<5", "<10", "suppressed")
        )
        print(
            f"  {records} records: rows {[len(r['rows']) for r in report.values()]}, "
            f"hidden cells {hidden}"
        )
        deps.mongo.close()
        return results
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mongo-url", default="")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1000,100000")
    args = parser.parse_args()
    with servers.database(args.mongo_url) as url:
        for size in (int(s) for s in args.sizes.split(",")):
            results = measure(url, size, args.repeat)
            baseline = results[0]
            for result in results:
                print(
                    result.line(),
                    f"  [{result.percentile(50) / baseline.percentile(50):.1f}x raw aggregate p50]",
                )


if __name__ == "__main__":
    print(f"Passage partner-report benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
    main()
