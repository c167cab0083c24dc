"""passage.disclosure: an allow-list cut that withholds anything not named, at any depth."""

from __future__ import annotations

from passage.disclosure import disclose, fields


def test_only_named_fields_pass_at_every_depth() -> None:
    spec = {**fields("id", "at"), "booking": fields("date"), "history": fields("by")}
    record = {
        "id": "c1",
        "at": "2026-11-24",
        "name": "Ali",
        "booking": {"date": "d", "medical_needs": "insulin"},
        "history": [{"by": "u1", "note": "private"}, {"by": "u2"}],
        "household": [{"name": "Sara"}],
    }
    assert disclose(record, spec) == {
        "id": "c1",
        "at": "2026-11-24",
        "booking": {"date": "d"},
        "history": [{"by": "u1"}, {"by": "u2"}],
    }


def test_missing_and_null_values_stay_as_they_are_and_a_plain_value_under_a_spec_is_withheld() -> (
    None
):
    spec = {"booking": fields("date"), "consent": fields("on")}
    assert disclose({"booking": None}, spec) == {"booking": None}
    assert disclose({"consent": "signed by Ali"}, spec) == {"consent": None}
    assert disclose({}, spec) == {}
