"""What callers see of requests and deadlines: particulars only for roles whose job needs them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from passage.disclosure import Spec, disclose, fields
from passage.events.envelope import rfc3339
from passage.identity import Identity
from readmission.domain import deadlines as dl
from readmission.domain.evidence import sufficiency

if TYPE_CHECKING:
    from passage.locations import Locations

# Liaison officers file and answer requests; administrators manage them. Auditors see the
# procedure (states, dates, who acted) but not who the person is.
PARTICULAR_READERS = ("admin", "liaison_officer")
_PUBLIC = (
    "version",
    "agreement",
    "reply",
    "deemed_acceptance_reversed",
    "info_requested_on",
    "info_supplied_on",
    "direction",
    "member_state",
    "person_ref",
    "category",
    "procedure",
    "state",
    "voluntary_return_offered",
    "voluntary_return",
    "learned_on",
    "apprehended_on",
    "received_on",
    "decided_on",
    "rejection",
    "withdrawal",
    "transfer",
    "travel_document",
    "created_at",
    "updated_at",
)
# Every field a request's view may carry, in the order the API documents them.
REQUEST_FIELDS = (
    "id",
    *_PUBLIC,
    "deadlines",
    "history",
    "evidence",
    "evidence_sufficiency",
    "particulars",
    "location",
)


# Auditors (#11): the procedure's metadata only -- no particulars, no free text (reasons'
# explanations, notes, motivations), no document references, no transit route (its end is the
# person's likely nationality). Anything not listed is withheld.
_HISTORY = fields("at", "action", "state", "by", "role")
AUDITOR_REQUEST: Spec = {
    **fields(
        "id",
        "version",
        "direction",
        "member_state",
        "person_ref",
        "category",
        "procedure",
        "state",
        "voluntary_return_offered",
        "learned_on",
        "apprehended_on",
        "received_on",
        "decided_on",
        "created_at",
        "updated_at",
        "deadlines",
        "evidence_sufficiency",
        "location",
    ),
    "voluntary_return": fields("in_progress", "case_id", "since"),
    "history": _HISTORY,
    "evidence": fields("id", "kind", "of", "type"),
    "rejection": {"reasons": fields("code")},
    "withdrawal": fields("reason"),
    "transfer": fields("scheduled_for", "means", "transferred_on"),
    "travel_document": fields("kind", "issued_on"),
}
AUDITOR_TRANSIT: Spec = {
    **fields(
        "id",
        "version",
        "direction",
        "member_state",
        "person_ref",
        "state",
        "border_crossing_point",
        "transit_at",
        "means",
        "received_on",
        "decided_on",
        "created_at",
        "updated_at",
        "deadlines",
        "location",
    ),
    "history": _HISTORY,
    "escorts": fields("count"),
    "approval": fields(),
    "refusal": {"reasons": fields("code")},
    "revocation": fields("reason"),
    "withdrawal": fields("reason"),
    "completion": fields("transferred_on"),
}


def request_view(
    doc: Mapping[str, Any], caller: Identity, locations: Locations | None
) -> dict[str, Any]:
    view: dict[str, Any] = {"id": doc["_id"], **{k: doc.get(k) for k in _PUBLIC}}
    view["agreement"] = (
        doc.get("agreement") or "EU-AZ"
    )  # requests filed before agreements were recorded
    view["deadlines"] = [sourced(d) for d in (doc.get("deadlines") or {}).values()]
    view["history"] = [dict(h) for h in doc.get("history", [])]
    view["evidence_sufficiency"] = sufficiency(doc["category"], doc.get("evidence", []))
    if caller.role in PARTICULAR_READERS:
        view["particulars"] = doc.get("particulars")
        view["evidence"] = doc.get("evidence", [])
    else:
        view["evidence"] = [
            {k: e.get(k) for k in ("id", "kind", "of", "type", "source")}
            for e in doc.get("evidence", [])
        ]
    view["location"] = _location(doc["person_ref"], locations)
    return json_ready(
        view if caller.role in PARTICULAR_READERS else disclose(view, AUDITOR_REQUEST)
    )


def json_ready(value: Any) -> Any:
    """Times as RFC 3339 UTC text, at any depth."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value


def _location(person_ref: str, locations: Locations | None) -> dict[str, Any] | None:
    found = locations.get_location(person_ref) if locations is not None else None
    if found is None:
        return None
    where = found.location
    return {
        "held": where.held,
        "centre_id": where.centre_id,
        "unit_id": where.unit_id,
        "since": where.since,
        "released_at": where.released_at,
        "release_reason": where.release_reason,
    }


def sourced(deadline: Mapping[str, Any]) -> dict[str, Any]:
    """A deadline with its legal source and a flag when that source was not verified against the
    official text."""
    source = deadline.get("source")
    return {**deadline, "source": source, "unverified": not (source or {}).get("verified", False)}


def worklist_item(
    entry: Mapping[str, Any], today: date, overrides: dl.Overrides = dl.NO_OVERRIDES
) -> dict[str, Any]:
    due = date.fromisoformat(entry["due_on"])
    unit = dl.WORKING_DAYS if entry["unit"] == dl.WORKING_DAYS else dl.CALENDAR_DAYS
    return {
        "request_id": entry["request_id"],
        "deadline": entry["kind"],
        "member_state": entry["member_state"],
        "direction": entry["direction"],
        "state": entry["state"],
        "person_ref": entry["person_ref"],
        "due_on": entry["due_on"],
        "rule_unit": entry["unit"],
        "rule_amount": entry["amount"],
        "rule_version": entry["rule_version"],
        "source": entry.get("source"),
        "unverified": not (entry.get("source") or {}).get("verified", False),
        "time_left": dl.time_left(due, unit, entry["calendar"], today, overrides),
        "time_left_unit": unit,
        "overdue": dl.is_passed(due, today),
        "resource": entry.get("resource", "request"),
    }


_TRANSIT_PUBLIC = (
    "version",
    "agreement",
    "direction",
    "member_state",
    "person_ref",
    "state",
    "route",
    "border_crossing_point",
    "transit_at",
    "means",
    "escorts",
    "received_on",
    "decided_on",
    "approval",
    "refusal",
    "revocation",
    "withdrawal",
    "completion",
    "note",
    "created_at",
    "updated_at",
)
# Every field a transit request's view may carry, in the order the API documents them.
TRANSIT_FIELDS = ("id", *_TRANSIT_PUBLIC, "deadlines", "history", "particulars", "location")


def transit_view(
    doc: Mapping[str, Any], caller: Identity, locations: Locations | None
) -> dict[str, Any]:
    """A transit request; the person's particulars only for roles whose job needs them."""
    view: dict[str, Any] = {"id": doc["_id"], **{k: doc.get(k) for k in _TRANSIT_PUBLIC}}
    view["agreement"] = doc.get("agreement") or "EU-AZ"
    view["deadlines"] = [sourced(d) for d in (doc.get("deadlines") or {}).values()]
    view["history"] = [dict(h) for h in doc.get("history", [])]
    if caller.role in PARTICULAR_READERS:
        view["particulars"] = doc.get("particulars")
    elif view.get("escorts"):  # escorting officials' names, ranks and documents are personal data
        view["escorts"] = {k: v for k, v in view["escorts"].items() if k != "officers"}
    view["location"] = _location(doc["person_ref"], locations)
    return json_ready(
        view if caller.role in PARTICULAR_READERS else disclose(view, AUDITOR_TRANSIT)
    )
