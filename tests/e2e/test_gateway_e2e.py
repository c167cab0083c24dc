"""The gateway end to end on the launcher's stack: every personal-data read is audited, the chain
verifies.

Real processes (gunicorn APIs, workers, SecantusDB) as ``./passage up`` starts them. Staff admit a
person, read the stay, list stays and open the person's timeline, each with its own correlation
id; the auditor then finds one audit record per read, and ``python -m gateway.admin.audit verify``
passes on the running system. Sign-in, refresh and logout work across the gateway's workers.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from devstack import Stack
from devstack.probes import free_port_base

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
REPO = Path(__file__).resolve().parents[2]


def _login(gateway: str, username: str, password: str) -> dict:
    r = requests.post(
        f"{gateway}/api/v1/auth/login",
        json={"username": username, "password": password},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_personal_data_reads_are_audited_and_the_chain_verifies(tmp_path):
    env = {"MONGO_URL": None, "AMQP_URL": None, "PASSAGE_BUS_PREFIX": None}
    with Stack(REPO, var_dir=tmp_path / "var", base_port=free_port_base(), env=env) as stack:
        stack.seed()
        gateway, logins = stack.gateway_url, stack.logins
        admin = {
            "Authorization": f"Bearer {_login(gateway, 'admin', logins['admin'])['access_token']}"
        }
        units = requests.get(
            f"{gateway}/api/v1/detention/centres/baku/units", headers=admin, timeout=30
        ).json()["items"]
        unit = next(u for u in units if u["category"] == "men" and u["free_places"] > 0)
        person = f"E2E-{uuid.uuid4().hex[:10]}"
        today = date.today()
        staff_tokens = _login(gateway, "staff.baku", logins["staff.baku"])
        staff = {"Authorization": f"Bearer {staff_tokens['access_token']}"}
        admitted = requests.post(
            f"{gateway}/api/v1/detention/stays",
            headers={**staff, "X-Correlation-ID": "e2e-admit-0001"},
            timeout=30,
            json={
                "unit_id": unit["id"],
                "person": {
                    "person_ref": person,
                    "given_name": "Audit",
                    "family_name": "Person",
                    "birth_date": "1990-04-02",
                    "sex": "male",
                    "nationality": "IRN",
                },
                "legal_basis": {
                    "kind": "court_order",
                    "decision_ref": "E2E-1",
                    "court": "Baku Administrative Court",
                    "decided_on": (today - timedelta(days=1)).isoformat(),
                    "valid_until": (today + timedelta(days=60)).isoformat(),
                },
            },
        )
        assert admitted.status_code == 201, admitted.text
        reads = {
            "e2e-read-stay-0001": f"/api/v1/detention/stays/{admitted.json()['id']}",
            "e2e-list-stays-0001": f"/api/v1/detention/stays?person_ref={person}",
            "e2e-timeline-0001": f"/api/v1/persons/{person}/timeline",
        }
        for correlation, path in reads.items():
            r = requests.get(
                f"{gateway}{path}", headers={**staff, "X-Correlation-ID": correlation}, timeout=30
            )
            assert r.status_code == 200, (path, r.text)
        auditor_token = _login(gateway, "auditor", logins["auditor"])["access_token"]
        auditor = {"Authorization": f"Bearer {auditor_token}"}
        records = requests.get(
            f"{gateway}/api/v1/audit?user=staff.baku&limit=200", headers=auditor, timeout=30
        ).json()["items"]
        by_correlation = {r["correlation_id"]: r for r in records}
        for correlation in (*reads, "e2e-admit-0001"):
            assert correlation in by_correlation, correlation
            assert by_correlation[correlation]["outcome"] in (200, 201)
        assert "Audit" not in str(records) and "1990-04-02" not in str(records)
        # refresh and logout, each answered by whichever gateway worker gets them
        renewed = requests.post(
            f"{gateway}/api/v1/auth/refresh",
            json={"refresh_token": staff_tokens["refresh_token"]},
            timeout=30,
        ).json()
        bearer = {"Authorization": f"Bearer {renewed['access_token']}"}
        assert (
            requests.post(
                f"{gateway}/api/v1/auth/logout", headers=bearer, json={}, timeout=30
            ).status_code
            == 204
        )
        verify = subprocess.run(
            [sys.executable, "-m", "gateway.admin.audit", "verify"],
            env=stack.process_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert verify.returncode == 0, verify.stderr
        assert "intact" in verify.stdout
