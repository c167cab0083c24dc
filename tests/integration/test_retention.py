"""Retention and erasure (#11) on the real SecantusDB through the real commands: the dry run lists
exactly the records past their period and changes nothing; the run erases their personal fields,
pseudonymises the person_ref, keeps the statistics and the non-identifying attributes, stores an
erasure record and logs ids only; a second run finds nothing; open or recent records stay whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from passage.config import Settings
from tests.integration.test_voluntary_return_support import service

AFTER = "2031-11-25"  # 5 years (1825 days) after 2026-11-24, plus a day
BEFORE = "2031-11-22"


def run(package: str, settings: Settings, *args: str) -> tuple[dict[str, Any], str]:
    """``python -m <package>.retention ARGS`` against the test database; its JSON and its log."""
    env = {
        **os.environ,
        "MONGO_URL": settings.mongo_url,
        f"{settings.service.upper()}_MONGO_DB": settings.mongo_db,
        "AMQP_URL": "",
    }
    done = subprocess.run(
        [sys.executable, "-m", f"{package}.retention", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def _docs(db: Any, name: str) -> list[dict[str, Any]]:
    return list(db.collection(name).find({}, sort=[("_id", 1)]))


def test_voluntary_return_cases_past_retention_are_erased_and_statistics_stay(settings_for) -> None:
    settings = settings_for("voluntary_return")
    svc = service(settings)
    ended = [svc.case_at("withdrawn", shared=True)["id"], svc.case_at("closed")["id"]]
    still_open = svc.case_at("booked")["id"]
    cases, stats = _docs(svc.deps.mongo, "cases"), svc.statistics_rows()

    early, _ = run("voluntary_return", settings, "--dry-run", "--as-of", BEFORE)
    assert early["due"][0]["ids"] == [] and early["due"][0]["rule"]["verified"] is False
    dry, _ = run("voluntary_return", settings, "--dry-run", "--as-of", AFTER)
    (due,) = dry["due"]
    assert dry["dry_run"] is True and due["ids"] == sorted(ended) and due["count"] == 2
    assert due["rule"]["record_type"] == "voluntary_return_case" and "particulars" in due["erases"]
    assert _docs(svc.deps.mongo, "cases") == cases and _docs(svc.deps.mongo, "erasures") == []

    done, log = run("voluntary_return", settings, "--as-of", AFTER)
    (erasure,) = done["erasures"]
    assert erasure["ids"] == sorted(ended) and erasure["count"] == 2
    for case_id in ended:
        doc = svc.stored(case_id)
        assert {
            "particulars",
            "household",
            "documents",
            "vulnerabilities",
            "counselling_sessions",
        }.isdisjoint(doc)
        assert (
            doc["person_ref"] == f"erased:{case_id}" and doc["erasure_id"] == erasure["erasure_id"]
        )
        assert (
            doc["stage"] in ("withdrawn", "closed")
            and doc["history"]
            and doc["nationality"] == "IRN"
        )
        assert "Rezaei" not in str(doc) and "insulin" not in str(doc)
    assert svc.stored(still_open) == next(c for c in cases if c["_id"] == still_open)
    assert svc.statistics_rows() == stats
    (stored,) = _docs(svc.deps.mongo, "erasures")
    assert stored["ids"] == sorted(ended) and stored["rule"]["keep_days"] == 1825
    assert erasure["erasure_id"] in log and ended[0] in log and "Rezaei" not in log
    again, _ = run("voluntary_return", settings, "--as-of", AFTER)
    assert again["erasures"][0]["ids"] == [] and len(_docs(svc.deps.mongo, "erasures")) == 2


def test_detention_stays_released_long_ago_lose_names_and_health_data_only(settings_for) -> None:
    from tests.integration.test_detention_api import Api

    api = Api(settings_for)
    api.centre("baku")
    api.unit("baku", "baku-m1")
    released = api.admit(
        "baku-m1",
        medical_examination={
            "examined_on": "2026-11-20",
            "examined_by": "Dr. N. Aliyeva",
            "notes": "Scars on both arms.",
        },
    ).get_json()
    held = api.admit("baku-m1", person={"given_name": "Omid"}).get_json()
    out = api.post(f"/stays/{released['id']}/release", {"reason": "released_by_court"})
    assert out.status_code == 200, out.get_json()
    history = _docs(api.deps.mongo, "occupancy_daily")
    assert history  # the daily figures partner reports are built from

    dry, _ = run("detention", api.settings, "--dry-run", "--as-of", "2031-11-25")
    assert dry["due"][0]["ids"] == [released["id"]]
    done, _ = run("detention", api.settings, "--as-of", "2031-11-25")
    assert done["erasures"][0]["ids"] == [released["id"]]
    doc = api.deps.mongo.collection("stays").find_one({"_id": released["id"]})
    assert set(doc["person"]) == {"sex", "nationality"} and "entry_medical" not in doc
    assert (doc["sex"], doc["nationality"], doc["age_band"], doc["status"]) == (
        "male",
        "IRN",
        "35-64",
        "closed",
    )
    assert (
        "Rezaei" not in str(doc)
        and "Scars" not in str(doc)
        and doc["person_ref"] == f"erased:{released['id']}"
    )
    kept = api.deps.mongo.collection("stays").find_one({"_id": held["id"]})
    assert kept["person"]["given_name"] == "Omid" and "erased_at" not in kept
    assert _docs(api.deps.mongo, "occupancy_daily") == history


def test_finished_readmission_requests_lose_particulars_and_open_ones_stay(settings_for) -> None:
    from tests.integration.test_readmission_requests import ACTIONS
    from tests.integration.test_readmission_support import Service

    svc = Service(settings_for("readmission"))
    rejected, pending = (
        svc.create(person_ref="AZ-2026-ret00001"),
        svc.create(person_ref="AZ-2026-ret00002"),
    )
    for step in ("submit", "reject"):
        path, body = ACTIONS[step]
        assert svc.act(rejected["id"], path, body).status_code == 200
    stats = _docs(svc.deps.mongo, "statistics")
    dry, _ = run("readmission", svc.deps.settings, "--dry-run", "--as-of", "2031-11-10")
    assert [d["ids"] for d in dry["due"]] == [[rejected["id"]], []]
    done, log = run("readmission", svc.deps.settings, "--as-of", "2031-11-10")
    assert [e["ids"] for e in done["erasures"]] == [[rejected["id"]], []]
    doc = svc.deps.mongo.collection("requests").find_one({"_id": rejected["id"]})
    assert {"particulars", "evidence", "rejection"}.isdisjoint(doc) and doc["state"] == "rejected"
    assert doc["member_state"] == "DE" and "Rezaei" not in str(doc) and "K1234567" not in str(doc)
    assert (
        svc.deps.mongo.collection("requests").find_one({"_id": pending["id"]})["particulars"][
            "family_name"
        ]
        == "Rezaei"
    )
    assert _docs(svc.deps.mongo, "statistics") == stats and "Rezaei" not in log
