"""The auditor's chain verification in the UI: the same checks as
``python -m gateway.admin.audit verify`` (every record's keyed hash and link, then the signed
checkpoints), run on request and recorded.

There is no HTTP API for it; the page composes the gateway's own verification functions.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _

from gateway.admin.audit import first_break
from gateway.admin.audit_checkpoints import CheckpointFile, checkpoint_problem
from gateway.bootstrap import audit_keyring
from gateway.config import GatewaySettings
from gateway.ui.client import claims_for
from gateway.ui.web import render, signed_in, ui

SETTINGS = "passage_ui_settings"


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/audit/verify", "audit_verify", audit_verify, methods=["GET", "POST"])


def remember(app: Any, settings: GatewaySettings) -> None:
    app.extensions[SETTINGS] = settings


def verify(settings: GatewaySettings) -> tuple[str | None, int, bool]:
    """(first problem or None, records checked, whether checkpoints were checked)."""
    keyring = audit_keyring(settings)
    records = list(ui().deps.guard.trail.in_order())
    problem = first_break(records, keyring)
    checked = bool(settings.audit_checkpoint_file)
    if problem is None and checked:
        problem = checkpoint_problem(
            CheckpointFile(settings.audit_checkpoint_file).read(), keyring, records
        )
    return problem, len(records), checked


@signed_in("auditor")
def audit_verify() -> Any:
    if request.method == "GET":
        return render("ui/audit_verify.html", result=None)
    problem, count, checkpoints = verify(current_app.extensions[SETTINGS])
    ui().deps.guard.record(
        "audit_verified",
        "/ui/audit/verify",
        None,
        200 if problem is None else 409,
        claims_for(g.ui_user.identity()),
        required=False,
    )
    return render(
        "ui/audit_verify.html",
        result={
            "intact": problem is None,
            "problem": problem,
            "count": count,
            "checkpoints": checkpoints,
        },
        status=200 if problem is None else 409,
        note=_("The chain was checked just now."),
    )
