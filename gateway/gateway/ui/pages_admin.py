"""The administrator's pages: centres, units and blocked places (through detention's API, as the
administrator), and staff accounts (created and disabled through the gateway's own account
rules)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from gateway.admin.admin_api import Admin, create_account, disable_account
from gateway.auth.accounts import USER_ROLES
from gateway.schemas import NewUserSchema
from gateway.ui.client import Answer, claims_for
from gateway.ui.forms import BOOL, FLOAT, INT, TEXT, WORDS, body_from, refusal
from gateway.ui.web import call, confirm_page, get, render, safe_id, signed_in, ui, unavailable
from passage.problems import Problem

D = "/api/v1/detention"
CENTRE = {"id": TEXT, "name": TEXT, "city": TEXT}
UNIT = {
    "id": TEXT,
    "name": TEXT,
    "category": TEXT,
    "declared_places": INT,
    "floor_area_m2": FLOAT,
    "single_room": BOOL,
}
BLOCK = {"places": INT, "reason": TEXT, "until": TEXT}
USER = {
    "username": TEXT,
    "role": TEXT,
    "password": TEXT,
    "centres": WORDS,
    "member_states": WORDS,
    "organisation": TEXT,
    "all_member_states": BOOL,
}
CATEGORIES = ("men", "women", "family", "vulnerable")


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/admin/centres", "admin_centres", admin_centres, methods=["GET", "POST"])
    blp.add_url_rule(
        "/admin/centres/<centre_id>", "admin_centre", admin_centre, methods=["GET", "POST"]
    )
    blp.add_url_rule("/admin/units/<unit_id>/blocks", "admin_block", admin_block, methods=["POST"])
    blp.add_url_rule("/admin/users", "admin_users", admin_users, methods=["GET", "POST"])
    blp.add_url_rule("/admin/users/disable", "admin_disable", admin_disable, methods=["POST"])


def _centres_page(status: int = 200, **form: Any) -> Response:
    answer = get(f"{D}/centres", limit=200)
    if not answer.ok:
        return unavailable(answer, _("The list of centres"))
    return render(
        "ui/admin_centres.html",
        status=status,
        centres=answer.body.get("items", []),
        **{"values": {}, "errors": {}, "general": [], **form},
    )


@signed_in("admin")
def admin_centres() -> Any:
    if request.method == "GET":
        return _centres_page()
    answer = call("POST", f"{D}/centres", body=body_from(request.form, CENTRE))
    if answer.ok:
        return redirect(url_for("ui.admin_centre", centre_id=answer.body["id"]), code=303)
    errors, general = refusal(answer, set(CENTRE))
    return _centres_page(answer.status, values=request.form, errors=errors, general=general)


def _centre_page(centre_id: str, status: int = 200, **form: Any) -> Response:
    found = get(f"{D}/centres/{centre_id}")
    if not found.ok:
        return unavailable(found, _("This centre"))
    units = get(f"{D}/centres/{centre_id}/units", limit=200)
    return render(
        "ui/admin_centre.html",
        status=status,
        centre=found.body,
        categories=CATEGORIES,
        units=units.body.get("items", []) if units.ok else [],
        **{"form": "", "values": {}, "errors": {}, "general": [], **form},
    )


@signed_in("admin")
def admin_centre(centre_id: str) -> Any:
    centre_id = safe_id(centre_id)
    if request.method == "GET":
        return _centre_page(centre_id)
    answer = call("POST", f"{D}/centres/{centre_id}/units", body=body_from(request.form, UNIT))
    if answer.ok:
        return redirect(
            url_for("ui.admin_centre", centre_id=centre_id, added=answer.body["id"]), code=303
        )
    errors, general = refusal(answer, set(UNIT))
    return _centre_page(
        centre_id, answer.status, form="unit", values=request.form, errors=errors, general=general
    )


@signed_in("admin")
def admin_block(unit_id: str) -> Any:
    """Block places of a unit until a day (repairs, quarantine): the unit's blocks plus this one."""
    unit_id = safe_id(unit_id)
    unit = get(f"{D}/units/{unit_id}")
    if not unit.ok:
        return unavailable(unit, _("This unit"))
    blocks = [
        {k: b[k] for k in ("places", "reason", "until")}
        for b in unit.body.get("blocked_places", [])
    ]
    new = body_from(request.form, BLOCK)
    answer = call("PATCH", f"{D}/units/{unit_id}", body={"blocked_places": [*blocks, new]})
    centre_id = unit.body["centre_id"]
    if answer.ok:
        return redirect(url_for("ui.admin_centre", centre_id=centre_id), code=303)
    errors, general = refusal(answer, set())
    errors = {
        k.rsplit(".", 1)[-1] if k.startswith("blocked_places.") else k: v for k, v in errors.items()
    }
    return _centre_page(
        centre_id,
        answer.status,
        form=f"block-{unit_id}",
        values=request.form,
        errors=errors,
        general=general,
    )


def _admin() -> Admin:
    deps = ui().deps
    return Admin(deps.guard, deps.users, deps.sign_in.passwords, deps.refresh)


def _users_page(status: int = 200, **form: Any) -> Response:
    return render(
        "ui/admin_users.html",
        status=status,
        roles=USER_ROLES,
        **{"form": "", "values": {}, "errors": {}, "general": [], "done": "", **form},
    )


def _as_answer(problem: Problem) -> Answer:
    return Answer(
        problem.status,
        {"detail": problem.detail, "errors": problem.errors or [], "type": f"/{problem.slug}"},
    )


@signed_in("admin")
def admin_users() -> Any:
    if request.method == "GET":
        return _users_page(done=request.args.get("created", ""))
    try:
        body = NewUserSchema().load(body_from(request.form, USER))
        created = create_account(_admin(), body, claims_for(g.ui_user.identity()))
    except ValidationError as invalid:
        errors = {
            k: str(v[0] if isinstance(v, list) else v)
            for k, v in invalid.normalized_messages().items()
        }
        answer = Answer(
            422,
            {
                "detail": _("Some fields are missing or not valid."),
                "type": "/validation",
                "errors": [{"pointer": f"/{k}", "detail": v} for k, v in errors.items()],
            },
        )
        return _refused_user(answer, "create")
    except Problem as problem:
        return _refused_user(_as_answer(problem), "create")
    return redirect(url_for("ui.admin_users", created=created["username"]), code=303)


def _refused_user(answer: Answer, form: str) -> Response:
    errors, general = refusal(answer, set(USER) if form == "create" else {"username"})
    values = {
        k: v for k, v in request.form.items() if k != "password"
    }  # a password is never sent back
    return _users_page(answer.status, form=form, values=values, errors=errors, general=general)


@signed_in("admin")
def admin_disable() -> Any:
    username = (request.form.get("username") or "").strip()
    if request.form.get("confirmed") != "yes":
        return confirm_page(
            _("Disable the account"),
            url_for("ui.admin_disable"),
            url_for("ui.admin_users"),
            _("Every sign-in of this account is refused and every token it holds is revoked."),
        )
    try:
        disable_account(_admin(), username, claims_for(g.ui_user.identity()))
    except Problem as problem:
        return _refused_user(
            Answer(
                problem.status,
                {
                    "detail": problem.detail,
                    "type": f"/{problem.slug}",
                    "errors": [{"pointer": "/username", "detail": problem.detail}],
                },
            ),
            "disable",
        )
    return _users_page(form="disable", done=username)
