"""What callers see of stored centres, units and stays (no I/O): figures computed from the rules,
personal particulars only for those entitled to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from detention.domain import access
from detention.domain.model import unit_from_record
from detention.domain.rules import Rules
from passage.disclosure import Spec, disclose, fields

_CENTRE_FIELDS = ("id", "name", "city", "version", "created_at")
_STAY_FIELDS = (
    "id",
    "person_ref",
    "centre_id",
    "unit_id",
    "status",
    "admitted_at",
    "admitted_by",
    "legal_end",
    "sex",
    "nationality",
    "age_band",
    "alerts",
    "version",
    "next_review_on",
    "due_on",
    "planned_release_on",
    "released_at",
    "release_reason",
)
_HISTORY_FIELDS = ("at", "state", "by", "centre_id", "unit_id", "reason")
# Auditors (#11): who was held where, when, on which kind of basis, and who acted -- not the
# person's sex, nationality or age band, the vulnerability alerts (special categories) or the
# free-text reasons of moves.
AUDITOR_STAY: Spec = {
    **fields(
        "id",
        "person_ref",
        "centre_id",
        "unit_id",
        "status",
        "admitted_at",
        "admitted_by",
        "legal_end",
        "version",
        "next_review_on",
        "due_on",
        "planned_release_on",
        "released_at",
        "release_reason",
    ),
    "legal_basis": fields("kind"),
    "history": fields("at", "state", "by", "centre_id", "unit_id"),  # no free text
}


def centre_view(rec: Mapping[str, Any]) -> dict[str, Any]:
    return {**{name: rec[name] for name in _CENTRE_FIELDS}, "active": rec.get("active", True)}


def unit_view(rec: Mapping[str, Any], today: date, rules: Rules) -> dict[str, Any]:
    """The unit with the capacity that counts (as enforced), free places and the CPT figures."""
    unit = unit_from_record(rec)
    blocks = [
        {**b, "in_force": b["until"] >= today.isoformat()} for b in rec.get("blocked_places", [])
    ]
    return {
        "id": rec["id"],
        "centre_id": rec["centre_id"],
        "name": rec["name"],
        "category": rec["category"],
        "declared_places": rec["declared_places"],
        "blocked_places": blocks,
        "floor_area_m2": rec["floor_area_m2"],
        "single_room": rec["single_room"],
        "capacity": rec["capacity"],
        "occupancy": rec["occupancy"],
        "free_places": max(0, rec["capacity"] - rec["occupancy"]),
        "cpt_capacity": unit.cpt_capacity(rules),
        "over_standard": unit.over_standard(rules),
        "version": rec["version"],
        "created_at": rec["created_at"],
    }


def stay_view(rec: Mapping[str, Any], caller: access.Caller) -> dict[str, Any]:
    """The stay; names, birth date, decision details and overrides only for those who hold the
    person."""
    view = {name: rec.get(name) for name in _STAY_FIELDS}
    view["entry_examination_missing"] = rec.get("status") == "open" and not rec.get("entry_medical")
    view["history"] = [
        {k: entry[k] for k in _HISTORY_FIELDS if entry.get(k) is not None}
        for entry in rec.get("history", [])
    ]
    if access.sees_particulars(caller, rec["centre_id"]):
        view["person"] = dict(rec["person"])
        view["legal_basis"] = dict(rec["legal_basis"])
        if rec.get("minor_override"):
            view["minor_override"] = dict(rec["minor_override"])
        if rec.get("family_group"):
            view["family_group"] = dict(rec["family_group"])
        for name in ("entry_medical", "exit_medical"):
            if rec.get(name):
                view[name] = dict(rec[name])
        view["extensions"] = [dict(e) for e in rec.get("extensions", [])]
        if rec.get("asylum_extension"):
            view["asylum_extension"] = dict(rec["asylum_extension"])
        view["vulnerabilities"] = list(rec.get("vulnerabilities", []))
        return view
    # auditors (and any reader added later): metadata only
    return disclose({**view, "legal_basis": rec["legal_basis"]}, AUDITOR_STAY)
