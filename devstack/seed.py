"""Demo data for the development stack, written through the same APIs people use.

Users come from the gateway's users CLI; centres and units are created over HTTP as the demo
admin, so the seed exercises the real path (gateway → detention). Running it again is harmless:
an existing centre or unit answers 409 and is left as it is.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

CENTRES: list[dict[str, Any]] = [
    {
        "id": "baku",
        "name": "Baku Detention Centre for Illegal Migrants",
        "city": "Baku",
        "units": [
            {
                "id": "baku-m1",
                "name": "Men's wing 1",
                "category": "men",
                "declared_places": 40,
                "floor_area_m2": 180.0,
                "single_room": False,
            },
            # Declares more places than its floor area allows (CPT: 4 m² each): shows the flag.
            {
                "id": "baku-m2",
                "name": "Men's wing 2",
                "category": "men",
                "declared_places": 30,
                "floor_area_m2": 110.0,
                "single_room": False,
            },
            {
                "id": "baku-w1",
                "name": "Women's wing",
                "category": "women",
                "declared_places": 16,
                "floor_area_m2": 72.0,
                "single_room": False,
            },
            {
                "id": "baku-f1",
                "name": "Family rooms",
                "category": "family",
                "declared_places": 12,
                "floor_area_m2": 60.0,
                "single_room": False,
            },
            {
                "id": "baku-v1",
                "name": "Vulnerable persons unit",
                "category": "vulnerable",
                "declared_places": 6,
                "floor_area_m2": 40.0,
                "single_room": True,
            },
        ],
    },
    {
        "id": "yevlakh",
        "name": "Yevlakh Detention Centre for Illegal Migrants",
        "city": "Yevlakh",
        "units": [
            {
                "id": "yevlakh-m1",
                "name": "Men's wing",
                "category": "men",
                "declared_places": 24,
                "floor_area_m2": 100.0,
                "single_room": False,
            },
            {
                "id": "yevlakh-w1",
                "name": "Women's wing",
                "category": "women",
                "declared_places": 10,
                "floor_area_m2": 44.0,
                "single_room": False,
            },
            {
                "id": "yevlakh-f1",
                "name": "Family rooms",
                "category": "family",
                "declared_places": 8,
                "floor_area_m2": 40.0,
                "single_room": False,
            },
            {
                "id": "yevlakh-v1",
                "name": "Vulnerable persons unit",
                "category": "vulnerable",
                "declared_places": 4,
                "floor_area_m2": 26.0,
                "single_room": True,
            },
        ],
    },
]


class SeedError(RuntimeError):
    """The demo data could not be written."""


def run_cli(python: str, cwd: Path, env: Mapping[str, str], *args: str) -> str:
    """Run one of the project's admin commands (``python -m …``); its output, or SeedError."""
    done = subprocess.run(
        [python, "-m", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise SeedError(
            f"`python -m {' '.join(args)}` failed ({done.returncode}):\n"
            f"{(done.stderr or done.stdout)[-3000:]}"
        )
    return done.stdout


def ensure_demo_users(
    python: str, cwd: Path, env: Mapping[str, str], logins_file: Path
) -> dict[str, str]:
    """Create the demo users that are missing; their passwords are in ``logins_file`` (0600)."""
    run_cli(
        python, cwd, env, "gateway.admin.users", "ensure-demo", "--logins-file", str(logins_file)
    )
    return read_logins(logins_file)


def seed_protocols(python: str, cwd: Path, env: Mapping[str, str]) -> int:
    """The 27 member states' and Norway's readmission protocols (idempotent; readmission's own
    command)."""
    out = run_cli(python, cwd, env, "readmission.seed")
    return int(json.loads(out.strip().splitlines()[-1]).get("protocols_added", 0))


def read_logins(path: Path) -> dict[str, str]:
    """``{username: password}`` from the demo logins file (empty before the first seed)."""
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def login(gateway_url: str, username: str, password: str) -> dict[str, str]:
    """Authorization headers for ``username`` (raises SeedError when the gateway refuses)."""
    r = requests.post(
        f"{gateway_url}/api/v1/auth/login",
        json={"username": username, "password": password},
        timeout=30,
    )
    if r.status_code != 200:
        raise SeedError(f"login as {username} failed: {r.status_code} {r.text[:500]}")
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def seed_centres(gateway_url: str, auth: Mapping[str, str]) -> dict[str, int]:
    """Create the demo centres and units that are missing; counts of created and existing."""
    counts = {"created": 0, "existing": 0}
    with requests.Session() as session:
        session.headers.update(auth)
        for centre in CENTRES:
            body = {k: v for k, v in centre.items() if k != "units"}
            _create(session, f"{gateway_url}/api/v1/detention/centres", body, counts)
            for unit in centre["units"]:
                _create(
                    session,
                    f"{gateway_url}/api/v1/detention/centres/{centre['id']}/units",
                    unit,
                    counts,
                )
    return counts


def _create(
    session: requests.Session, url: str, body: Mapping[str, Any], counts: dict[str, int]
) -> None:
    r = session.post(url, json=body, timeout=30)
    if r.status_code == 201:
        counts["created"] += 1
    elif r.status_code == 409:
        counts["existing"] += 1
    else:
        raise SeedError(f"POST {url} ({body['id']}) answered {r.status_code}: {r.text[:500]}")
