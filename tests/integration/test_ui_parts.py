"""The UI's pure parts: form values to request bodies, problem pointers to fields, charts, the
worklist's red."""

from __future__ import annotations

from flask import g, render_template
from werkzeug.datastructures import MultiDict

from gateway.app import create_app
from gateway.testing import settings_for_tests
from gateway.ui.charts import column_chart, history_chart, unit_bar
from gateway.ui.client import Answer
from gateway.ui.forms import BOOL, FLOAT, INT, LIST, MOMENT, TEXT, body_from, general_errors
from passage.config import Settings


def test_form_values_become_the_nested_body_the_service_takes() -> None:
    form = MultiDict(
        [
            ("person.given_name", " Ali "),
            ("person.family_name", ""),
            ("places", "3"),
            ("bad", "x3"),
            ("escort", "no"),
            ("score", "0.5"),
            ("v", "a"),
            ("v", ""),
            ("v", "b"),
            ("at", "2026-11-24T10:30"),
        ]
    )
    spec = {
        "person.given_name": TEXT,
        "person.family_name": TEXT,
        "places": INT,
        "bad": INT,
        "escort": BOOL,
        "score": FLOAT,
        "v": LIST,
        "at": MOMENT,
        "missing": TEXT,
    }
    assert body_from(form, spec) == {
        "person": {"given_name": "Ali"},
        "places": 3,
        "bad": "x3",
        "escort": False,
        "score": 0.5,
        "v": ["a", "b"],
        "at": "2026-11-24T10:30:00Z",
    }


def test_problem_pointers_name_the_form_fields() -> None:
    answer = Answer(
        422,
        {
            "detail": "Invalid input.",
            "errors": [
                {"pointer": "/person/sex", "detail": "Must be one of: male, female."},
                {"pointer": "/unknown_field", "detail": "Unknown field."},
                {"pointer": "/", "detail": "Whole form."},
            ],
        },
    )
    errors = answer.field_errors()
    assert errors["person.sex"].startswith("Must be one of")
    assert general_errors(errors, {"person.sex"}) == [
        "unknown_field: Unknown field.",
        "Whole form.",
    ]
    assert Answer(502, "not json").detail  # a body that is no problem still reads as a message


def test_charts_carry_their_figures_as_text() -> None:
    bar = unit_bar(
        {
            "id": "u1",
            "name": "Men's wing <1>",
            "declared_places": 10,
            "capacity": 8,
            "occupancy": 5,
            "cpt_capacity": 9,
        }
    )
    assert (
        'role="img"' in bar
        and "5 occupied, 3 free, 2 blocked of 10 declared places; CPT standard 9" in bar
    )
    assert "&lt;1&gt;" in bar and "<1>" not in bar
    days = [{"day": f"2026-11-{d:02d}", "occupied": d, "capacity": 40} for d in range(1, 4)]
    assert "now 3 occupied of 40 places" in history_chart(days)
    assert "No daily figures" in history_chart([])
    assert "DE 7, FR &lt;5" in column_chart([("DE", 7), ("FR", "<5")], "Requests")
    assert "nothing to chart" in column_chart([("DE", 0)], "Requests")


def test_overdue_deadlines_are_marked_for_the_eye_and_in_words() -> None:
    settings = settings_for_tests(
        Settings.from_env("gateway", env={}, mongo_url="mongodb://127.0.0.1:1/")
    )
    app = create_app(settings)
    item = {
        "request_id": "r1",
        "deadline": "reply",
        "member_state": "DE",
        "direction": "incoming",
        "state": "submitted",
        "person_ref": "P-1",
        "due_on": "2026-11-01",
        "time_left": -3,
        "time_left_unit": "calendar_days",
        "overdue": True,
    }
    with app.test_request_context("/ui/worklist", headers={"Cookie": "passage_lang=en"}):
        g.ui_user = g.ui_session = None
        html = render_template(
            "ui/worklist.html",
            items=[item, {**item, "request_id": "r2", "overdue": False, "time_left": 4}],
            today="2026-11-04",
        )
    assert (
        '<tr class="overdue" data-request="r1"' in html and "<strong>Overdue</strong> by 3" in html
    )
    assert '<tr class="" data-request="r2"' in html and "/ui/persons/P-1" in html
