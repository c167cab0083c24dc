"""Centre staff's pages: the occupancy dashboard, admission (alone or into a family group) and a
family arriving together (every member placed, or nobody)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, g, redirect, request, url_for
from flask_babel import gettext as _

from gateway.ui import charts, lists
from gateway.ui.due import centres_today
from gateway.ui.forms import BOOL, LIST, TEXT, body_from, refusal
from gateway.ui.web import call, get, render, safe_id, signed_in, unavailable

D = "/api/v1/detention"
STAFF = ("centre_staff", "auditor")
PERSON = {
    "person.person_ref": TEXT,
    "person.given_name": TEXT,
    "person.family_name": TEXT,
    "person.birth_date": TEXT,
    "person.sex": TEXT,
    "person.nationality": TEXT,
}
BASIS = {
    "legal_basis.kind": TEXT,
    "legal_basis.decision_ref": TEXT,
    "legal_basis.court": TEXT,
    "legal_basis.decided_on": TEXT,
    "legal_basis.valid_until": TEXT,
}
ADMIT = {
    "unit_id": TEXT,
    **PERSON,
    **BASIS,
    "medical_examination.examined_on": TEXT,
    "medical_examination.examined_by": TEXT,
    "medical_examination.fit_for_detention": BOOL,
    "vulnerabilities": LIST,
    "minor_override.reason": TEXT,
    "minor_override.approved_by": TEXT,
    "family_group.relation": TEXT,
}
SEXES = ("male", "female", "other", "unknown")
BASES = ("court_order", "voluntary_placement", "asylum_applicant")
RELATIONS = ("parent", "guardian", "child", "spouse", "sibling", "other_relative")
VULNERABILITIES = (
    "separated_child",
    "trafficking_victim",
    "pregnant",
    "disability",
    "serious_illness",
    "elderly",
    "torture_survivor",
    "sogi",
)
FAMILY_SIZE = 4  # member blocks on the family form; empty ones are left out


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/centres", "centres", centres)
    blp.add_url_rule("/centres/<centre_id>", "centre", centre)
    blp.add_url_rule("/centres/<centre_id>/admit", "admit", admit, methods=["GET", "POST"])
    blp.add_url_rule("/centres/<centre_id>/stays", "stays", stays)
    blp.add_url_rule(
        "/centres/<centre_id>/family-admission",
        "family_admission",
        family_admission,
        methods=["GET", "POST"],
    )


def _mine(centre_id: str) -> bool:
    me = g.ui_user
    return me.role != "centre_staff" or me.all_scopes or centre_id in me.centres


def _not_mine() -> Response:
    return render(
        "ui/error.html",
        status=403,
        title=_("Not allowed"),
        message=_("This centre is not one of yours."),
    )


@signed_in(*STAFF)
def centres() -> Any:
    answer = get(f"{D}/centres", limit=200)
    if not answer.ok:
        return unavailable(answer, _("The list of centres"))
    items = [c for c in answer.body.get("items", []) if _mine(c["id"])]
    if len(items) == 1 and g.ui_user.role == "centre_staff":
        return redirect(url_for("ui.centre", centre_id=items[0]["id"]))
    return render("ui/centres.html", centres=items)


def _groups(held: Any) -> list[tuple[str, str]]:
    """Family groups held in the centre now, to join: (id, who is in it)."""
    found: dict[str, list[str]] = {}
    for s in held.body.get("items", []) if held.ok else []:
        if s.get("family_group"):
            found.setdefault(s["family_group"]["id"], []).append(
                (s.get("person") or {}).get("family_name") or ""
            )
    return [
        (gid, f"{gid} ({', '.join(sorted({n for n in names if n}))})")
        for gid, names in sorted(found.items())
    ]


def _dashboard(centre_id: str, status: int = 200, **form: Any) -> Response:
    found = get(f"{D}/centres/{centre_id}")
    if not found.ok:
        return unavailable(found, _("This centre"))
    units = get(f"{D}/centres/{centre_id}/units", limit=200)
    occupancy = get(f"{D}/centres/{centre_id}/occupancy")
    due = get(f"{D}/stays", centre_id=centre_id, due_within="7d", limit=200)
    today = centres_today(due)
    history = get(
        f"{D}/centres/{centre_id}/occupancy/history",
        **{"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()},
    )
    held = get(f"{D}/stays", centre_id=centre_id, status="open", limit=200)
    unit_items = units.body.get("items", []) if units.ok else []
    return render(
        "ui/centre.html",
        status=status,
        centre=found.body,
        units=unit_items,
        units_answer=units,
        unit_options=[(u["id"], f"{u['id']} · {u['name']}") for u in unit_items],
        group_options=[("new", _("a new family group")), *_groups(held)],
        bars={u["id"]: charts.unit_bar(u) for u in unit_items},
        occupancy=occupancy.body if occupancy.ok else None,
        chart=charts.history_chart(history.body.get("days", [])) if history.ok else None,
        due=due,
        held=held,
        sexes=SEXES,
        bases=BASES,
        relations=RELATIONS,
        vulnerabilities=VULNERABILITIES,
        **form,
    )


@signed_in(*STAFF)
def centre(centre_id: str) -> Any:
    centre_id = safe_id(centre_id)
    if not _mine(centre_id):
        return _not_mine()
    return _dashboard(centre_id, values={}, errors={}, general=[])


def admission_body(form: Any) -> dict[str, Any]:
    """The admission's body; the family group chosen becomes ``{"new": true}`` or ``{"id": …}``."""
    body = body_from(form, ADMIT)
    choice = (form.get("family_group.choice") or "").strip()
    if choice:
        group = body.setdefault("family_group", {})
        group.update({"new": True} if choice == "new" else {"id": choice})
    return body


def _at_fields(errors: dict[str, str], general: list[str], answer: Any) -> dict[str, str]:
    """A full unit's message next to the unit; a family group's next to the group chosen."""
    if not errors and isinstance(answer.body, dict) and answer.body.get("unit_id"):
        return {"unit_id": general[0]}
    for name in ("family_group", "family_group.id", "family_group.new"):
        if name in errors:
            errors.setdefault("family_group.choice", errors.pop(name))
    return errors


@signed_in("centre_staff")
def admit(centre_id: str) -> Any:
    centre_id = safe_id(centre_id)
    if not _mine(centre_id):
        return _not_mine()
    if request.method == "GET":
        return redirect(url_for("ui.centre", centre_id=centre_id) + "#admit")
    answer = call("POST", f"{D}/stays", body=admission_body(request.form))
    if answer.ok:
        return redirect(url_for("ui.stay", stay_id=answer.body["id"], admitted=1), code=303)
    errors, general = refusal(answer, {*ADMIT, "family_group.choice"})
    return _dashboard(
        centre_id,
        status=answer.status if answer.status >= 400 else 422,
        values=request.form,
        errors=_at_fields(errors, general, answer),
        general=general,
    )


def family_body(form: Any) -> dict[str, Any]:
    """One body for the family: the shared legal basis copied to each member who has a name."""
    basis = body_from(form, BASIS).get("legal_basis")
    spec = {f"members.{i}.{k}": TEXT for i in range(FAMILY_SIZE) for k in (*PERSON, "relation")}
    members = [m for m in body_from(form, spec).get("members", []) if m]
    return {
        "unit_id": (form.get("unit_id") or "").strip(),
        "members": [{**m, **({"legal_basis": basis} if basis else {})} for m in members],
    }


def _family_page(centre_id: str, status: int = 200, **form: Any) -> Response:
    units = get(f"{D}/centres/{centre_id}/units", limit=200)
    family_units = (
        [u for u in units.body.get("items", []) if u.get("category") == "family"]
        if units.ok
        else []
    )
    return render(
        "ui/family.html",
        status=status,
        centre_id=centre_id,
        size=FAMILY_SIZE,
        unit_options=[(u["id"], f"{u['id']} · {u['name']}") for u in family_units],
        sexes=SEXES,
        bases=BASES,
        relations=RELATIONS,
        **form,
    )


@signed_in("centre_staff")
def family_admission(centre_id: str) -> Any:
    centre_id = safe_id(centre_id)
    if not _mine(centre_id):
        return _not_mine()
    if request.method == "GET":
        return _family_page(centre_id, values={}, errors={}, general=[])
    answer = call("POST", f"{D}/family-admissions", body=family_body(request.form))
    if answer.ok:
        return redirect(
            url_for("ui.centre", centre_id=centre_id, admitted=len(answer.body.get("stays", []))),
            code=303,
        )
    fields = {
        "unit_id",
        *(f"members.{i}.{k}" for i in range(FAMILY_SIZE) for k in (*PERSON, "relation")),
    }
    errors, general = refusal(answer, fields | set(BASIS))
    for i in range(
        FAMILY_SIZE
    ):  # the shared legal basis: a member's legal basis message goes to the shared field
        for name in [n for n in errors if n.startswith(f"members.{i}.legal_basis.")]:
            errors.setdefault(name.split(".", 2)[2], errors.pop(name))
    return _family_page(
        centre_id,
        status=answer.status if answer.status >= 400 else 422,
        values=request.form,
        errors=errors,
        general=general,
    )


def _stays_listing(centre_id: str) -> lists.Listing:
    return lists.Listing(
        "ui.stays",
        {
            "status": lists.one_of("open", "closed"),
            "unit_id": lists.matches(r"^[a-z0-9-]{1,60}\Z"),
            "legal_basis": lists.one_of(*BASES),
            "nationality": lists.matches(r"^[A-Z]{3}\Z"),
            "due_within": lists.matches(r"^[1-9][0-9]{0,2}d?\Z"),
        },
        {
            "name": lambda s: (s.get("person") or {}).get("family_name") or s.get("person_ref"),
            "unit": lambda s: s.get("unit_id"),
            "admitted": lambda s: s.get("admitted_at"),
            "due": lambda s: s.get("due_on"),
        },
        "admitted",
        {"centre_id": centre_id},
    )


@signed_in(*STAFF)
def stays(centre_id: str) -> Any:
    """Every stay of the centre, filtered, sorted and paged by the URL."""
    centre_id = safe_id(centre_id)
    if not _mine(centre_id):
        return _not_mine()
    listing = _stays_listing(centre_id)
    view = lists.read(listing)
    query = {**view.query(), "centre_id": centre_id}
    if query.get("due_within") and not query["due_within"].endswith("d"):
        query["due_within"] += "d"
    answer = get(f"{D}/stays", **query)
    if not answer.ok:
        return unavailable(answer, _("The list of stays"))
    units = get(f"{D}/centres/{centre_id}/units", limit=200)
    return render(
        "ui/stays.html",
        centre_id=centre_id,
        bases=BASES,
        unit_ids=[u["id"] for u in units.body.get("items", [])] if units.ok else [],
        items=lists.arrange(listing, view, answer.body.get("items", [])),
        nav=lists.links(listing, view, answer.body.get("next_cursor")),
    )
