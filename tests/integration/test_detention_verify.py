"""``python -m detention.verify`` proves occupancy counters equal open stays: it reports a counter
corrupted on purpose (exit 1), ``--repair`` fixes it (exit 0), and a clean database passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from detention import service
from detention.adapters.repository import UNITS
from detention.adapters.verify import verify
from detention.app import create_app
from passage.testing import identity_headers
from tests.integration.test_detention_capacity import admission

P = "/api/v1/detention"


def _run(settings: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONGO_URL": settings.mongo_url, "DETENTION_MONGO_DB": settings.mongo_db}
    return subprocess.run(
        [sys.executable, "-m", "detention.verify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_verify_reports_a_corrupted_counter_and_repair_fixes_it(settings_for) -> None:
    settings = settings_for("detention")
    deps = service.build_deps(settings)
    client, headers = (
        create_app(settings, deps).test_client(),
        identity_headers(settings.internal_token_secret),
    )
    assert (
        client.post(
            f"{P}/centres", headers=headers, json={"id": "vc", "name": "V", "city": "Baku"}
        ).status_code
        == 201
    )
    for unit in ("vc-m1", "vc-m2"):
        assert (
            client.post(
                f"{P}/centres/vc/units",
                headers=headers,
                json={
                    "id": unit,
                    "name": unit,
                    "category": "men",
                    "declared_places": 5,
                    "floor_area_m2": 40.0,
                },
            ).status_code
            == 201
        )
    for n in range(3):
        assert (
            client.post(f"{P}/stays", headers=headers, json=admission("vc-m1", n)).status_code
            == 201
        )

    clean = _run(settings)
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout.strip().splitlines()[-1])["drift"] == []

    units = deps.mongo.collection(UNITS)
    units.update_one(
        {"_id": "vc-m1"}, {"$set": {"occupancy": 1}}
    )  # the corruption: two people "vanish"
    units.update_one({"_id": "vc-m2"}, {"$set": {"occupancy": 4}})
    found = _run(settings)
    assert found.returncode == 1
    report = json.loads(found.stdout.strip().splitlines()[-1])
    assert {
        (d["unit_id"], d["counter"], d["open_stays"], d["repaired"]) for d in report["drift"]
    } == {("vc-m1", 1, 3, False), ("vc-m2", 4, 0, False)}
    assert units.find_one({"_id": "vc-m1"})["occupancy"] == 1  # reporting changes nothing

    repaired = _run(settings, "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert len(json.loads(repaired.stdout.strip().splitlines()[-1])["drift"]) == 2
    assert (
        units.find_one({"_id": "vc-m1"})["occupancy"],
        units.find_one({"_id": "vc-m2"})["occupancy"],
    ) == (3, 0)
    assert verify(deps.mongo) == [] and _run(settings).returncode == 0
