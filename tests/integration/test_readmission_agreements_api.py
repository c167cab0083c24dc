"""Administrators record agreements and their clocks through the API (versioned, effective dates,
If-Match), and requests under them get deadlines from those rules, each with its source."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_readmission_support import PREFIX, Service, new_request


@pytest.fixture
def service(rabbit_url, settings_for) -> Service:
    return Service(settings_for("readmission", broker=rabbit_url))


def limit(amount: int, unit: str, article: str, verified: bool = False) -> dict[str, Any]:
    return {
        "amount": amount,
        "unit": unit,
        "article": article,
        "paragraph": "1",
        "verified": verified,
    }


def rule_version(
    version: str, effective_from: str, reply: dict[str, Any], protocol: str = "*"
) -> dict[str, Any]:
    return {
        "version": version,
        "protocol": protocol,
        "procedure": "normal",
        "effective_from": effective_from,
        "deemed_acceptance": True,
        "limits": {
            "submit": limit(6, "months", "Art. 10"),
            "reply": reply,
            "transfer": limit(3, "months", "Art. 10"),
            "travel_document": limit(5, "working_days", "Art. 4"),
            "take_back_own_nationals": limit(6, "months", "Art. 12"),
            "take_back_others": limit(6, "months", "Art. 12"),
            "transit_reply": limit(5, "calendar_days", "Art. 14"),
        },
    }


SERBIA = {
    "code": "RS-AZ",
    "title": "Serbia–Azerbaijan readmission agreement",
    "parties": ["RS"],
    "in_force": "2023-01-01",
    "source": {"article": "Art. 20", "verified": False},
}


def test_an_administrator_records_a_bilateral_agreement_and_its_clocks(service: Service) -> None:
    admin = service.headers("admin")
    assert (
        service.client.post(
            f"{PREFIX}/agreements", json=SERBIA, headers=service.headers()
        ).status_code
        == 403
    )
    created = service.client.post(f"{PREFIX}/agreements", json=SERBIA, headers=admin)
    assert created.status_code == 201 and created.headers["ETag"] == '"v1"'
    assert (
        service.client.post(f"{PREFIX}/agreements", json=SERBIA, headers=admin).status_code == 409
    )
    url = f"{PREFIX}/agreements/RS-AZ/rule-versions"
    body = rule_version("rs-az-2023.normal.1", "2023-01-01", limit(10, "calendar_days", "Art. 10"))
    assert service.client.post(url, json=body, headers=admin).status_code == 428  # If-Match needed
    assert (
        service.client.post(url, json=body, headers={**admin, "If-Match": '"v7"'}).status_code
        == 412
    )
    added = service.client.post(
        url, json=body, headers={**admin, "If-Match": created.headers["ETag"]}
    )
    assert added.status_code == 201 and added.get_json()["version"] == 2
    request = service.create(agreement="RS-AZ", member_state="RS", person_ref="AZ-RS-1")
    assert service.act(request["id"], "submit", {}).status_code == 200
    reply = next(
        d for d in service.get(request["id"]).get_json()["deadlines"] if d["kind"] == "reply"
    )
    assert (reply["due_on"], reply["rule_version"]) == ("2026-11-12", "rs-az-2023.normal.1")
    assert (
        reply["source"]
        == {
            "agreement": "RS-AZ",
            "article": "Art. 10",
            "paragraph": "1",
            "verified": False,
            "note": None,
        }
        and reply["unverified"] is True
    )


def test_a_protocol_rule_version_overrides_a_clock_from_its_date(service: Service) -> None:
    admin = service.headers("admin")
    url = f"{PREFIX}/agreements/EU-AZ/rule-versions"
    body = rule_version(
        "de-protocol-2026.1",
        "2026-11-01",
        limit(10, "working_days", "Protocol DE Art. 3", True),
        protocol="DE",
    )
    assert service.client.post(url, json=body, headers=admin).status_code == 201
    de = service.create()
    assert service.act(de["id"], "submit", {}).status_code == 200
    reply = next(d for d in service.get(de["id"]).get_json()["deadlines"] if d["kind"] == "reply")
    assert (reply["due_on"], reply["unit"], reply["unverified"]) == (
        "2026-11-16",
        "working_days",
        False,
    )
    fr = service.create(member_state="FR", person_ref="AZ-FR-9")
    assert service.act(fr["id"], "submit", {}).status_code == 200
    fr_reply = next(
        d for d in service.get(fr["id"]).get_json()["deadlines"] if d["kind"] == "reply"
    )
    assert fr_reply["rule_version"] == "eu-az-2014.normal.2"
    wrong = service.client.post(
        f"{PREFIX}/requests", json=new_request(agreement="XX-AZ"), headers=service.headers()
    )
    assert wrong.status_code == 422 and "XX-AZ" in wrong.get_json()["detail"]
