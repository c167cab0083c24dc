"""HTML form values → the JSON bodies the services take (pure).

Form fields are named like the problem pointers they can receive (``person.sex`` ↔
``/person/sex``), so a service's error lands next to the field that caused it. Empty fields are
left out, so the service's own defaults and "required" messages apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.ui.words import field_message, general_messages

TEXT, INT, FLOAT, BOOL, LIST, MOMENT, WORDS = (
    "text",
    "int",
    "float",
    "bool",
    "list",
    "moment",
    "words",
)


def body_from(form: Any, spec: Mapping[str, str]) -> dict[str, Any]:
    """A nested body from ``form`` (a MultiDict) for the fields named in ``spec`` (name → kind)."""
    body: dict[str, Any] = {}
    for name, kind in spec.items():
        value = _value(form, name, kind)
        if value is None:
            continue
        target = body
        *parents, leaf = name.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return _lists(body)


def _lists(node: Any) -> Any:
    """``{"0": a, "1": b}`` (from ``documents.0.kind``-style names) → ``[a, b]``, at every depth."""
    if not isinstance(node, dict):
        return node
    node = {k: _lists(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def _value(form: Any, name: str, kind: str) -> Any:
    if kind == LIST:
        values = [v.strip() for v in form.getlist(name) if v.strip()]
        return values or None
    if kind == WORDS:  # one text field holding a list: "fa, az"
        words = [
            w.strip() for w in (form.get(name) or "").replace(";", ",").split(",") if w.strip()
        ]
        return words or None
    raw = (form.get(name) or "").strip()
    if raw == "":
        return None
    if kind == INT:
        try:
            return int(raw)
        except ValueError:
            return raw  # the service answers with its own message for this field
    if kind == FLOAT:
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == MOMENT and len(raw) == 16:  # a datetime-local field, given in UTC
        return raw + ":00Z"
    if kind == BOOL:
        return {"yes": True, "true": True, "on": True, "no": False, "false": False}.get(
            raw.lower(), raw
        )
    return raw


def general_errors(errors: Mapping[str, str], fields: set[str]) -> list[str]:
    """Messages whose pointer names no field on the form (shown above it)."""
    return [
        f"{name.replace('.', ' › ')}: {detail}" if name != "_form" else detail
        for name, detail in errors.items()
        if name not in fields
    ]


def refusal(answer: Any, fields: set[str]) -> tuple[dict[str, str], list[str]]:
    """A refused form's messages in the reader's language: by field,
    and those shown above the form."""
    errors = {name: field_message(detail) for name, detail in answer.field_errors().items()}
    general = general_messages(answer.body, answer.detail)
    return errors, [*general, *[m for m in general_errors(errors, fields) if m not in general]]
