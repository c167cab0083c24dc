"""Admin command proving the capacity invariant: every unit's occupancy equals its open stays.

    python -m detention.verify            # report drift; exit 1 when any unit drifts
    python -m detention.verify --repair   # set each drifting counter to its open stays; exit 0

Each unit is counted and (with --repair) fixed in one transaction, so an admission running at the
same moment either is counted or conflicts and retries: the repair never makes things worse.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from pymongo.client_session import ClientSession

from detention.adapters.repository import STAYS, UNITS
from detention.config import load_settings
from passage.mongo import Mongo


@dataclass(frozen=True)
class Drift:
    unit_id: str
    centre_id: str
    counter: int
    open_stays: int
    repaired: bool


def check_unit(mongo: Mongo, unit_id: str, repair: bool) -> Drift | None:
    """Compare (and with ``repair`` fix) one unit's counter against its open stays."""

    def work(session: ClientSession) -> Drift | None:
        unit = mongo.collection(UNITS).find_one(
            {"_id": unit_id}, {"occupancy": 1, "centre_id": 1}, session=session
        )
        held = mongo.collection(STAYS).count_documents(
            {"unit_id": unit_id, "status": "open"}, session=session
        )
        if unit is None or unit["occupancy"] == held:
            return None
        if repair:
            mongo.collection(UNITS).update_one(
                {"_id": unit_id, "occupancy": unit["occupancy"]},
                {"$set": {"occupancy": held}, "$inc": {"version": 1}},
                session=session,
            )
        return Drift(unit_id, unit["centre_id"], unit["occupancy"], held, repair)

    return mongo.transaction(work)


def verify(mongo: Mongo, repair: bool = False) -> list[Drift]:
    unit_ids = [doc["_id"] for doc in mongo.collection(UNITS).find({}, {"_id": 1}).sort("_id", 1)]
    return [
        drift for unit_id in unit_ids if (drift := check_unit(mongo, unit_id, repair)) is not None
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m detention.verify", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--repair", action="store_true", help="set drifting counters to the open stays"
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    mongo = Mongo(settings.mongo_url, settings.mongo_db)
    drifts = verify(mongo, repair=args.repair)
    units = mongo.collection(UNITS).count_documents({})
    print(
        json.dumps(
            {"units_checked": units, "drift": [asdict(d) for d in drifts], "repaired": args.repair}
        )
    )
    mongo.close()
    return 1 if drifts and not args.repair else 0


if __name__ == "__main__":
    sys.exit(main())
