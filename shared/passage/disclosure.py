"""What a role may be shown of a record, written as an allow-list (stdlib only): every service cuts
its auditors' views with the one function here, so a field nobody listed is never disclosed.

A spec maps each disclosed field to ``None`` (the value as it is) or to a nested spec (applied to
an object, or to each object of a list). A field missing from the spec is withheld.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

Spec = Mapping[str, Union["Spec", None]]


def fields(*names: str) -> dict[str, None]:
    """A spec disclosing ``names`` as they are."""
    return dict.fromkeys(names)


def disclose(value: Any, spec: Spec | None) -> Any:
    """``value`` cut to ``spec``; a plain value where an object was expected is withheld (None)."""
    if spec is None or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [disclose(item, spec) for item in value]
    if isinstance(value, Mapping):
        return {name: disclose(value[name], inner) for name, inner in spec.items() if name in value}
    return None
