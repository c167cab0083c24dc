"""PDF generation time: the AVRR case summary and the Annex 5 / Annex 6 applications, rendered from
realistic records (Azerbaijani and Cyrillic names), beside a same-run baseline: a one-line PDF in
the same font. Pure rendering, no server: the endpoints add one record read to this.

    .venv/bin/python bench/pdf_generation.py [--n 50]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadgen import timed  # noqa: E402
from passage.pdf import Document, Section, render  # noqa: E402
from readmission.web.annexes import annex5, annex6  # noqa: E402
from voluntary_return.web.summary import document as case_summary  # noqa: E402

PERSON = {
    "family_name": "Гусейнов",
    "given_names": "Rəşad",
    "birth_date": "1988-07-14",
    "birth_place": "Gəncə",
    "sex": "male",
    "nationality": "AZE",
    "father_name": "Əli Hüseynov",
    "civil_status": "married",
    "spouse": {"family_name": "Hüseynova", "given_names": "Leyla"},
    "children": [
        {"family_name": "Hüseynov", "given_names": f"Child {i}", "birth_date": "2015-01-01"}
        for i in range(3)
    ],
    "documents": [{"type": "passport", "number": "C09876543", "issued_by": "AZE"}],
    "special_care_needs": "Insulin on the journey",
    "escorts": [{"name": "Jürgen Weiß", "rank": "PHM"}],
}
REQUEST = {
    "_id": "5f1b2c3d-0000-4000-8000-000000000001",
    "person_ref": "AZ-2026-000001",
    "member_state": "DE",
    "direction": "outgoing",
    "category": "own_national",
    "procedure": "normal",
    "state": "draft",
    "particulars": PERSON,
    "evidence": [
        {"type": "passport", "of": "nationality", "reference": f"E-{i}"} for i in range(5)
    ],
}
TRANSIT = {
    **REQUEST,
    "route": ["DE", "AZ", "IRN"],
    "border_crossing_point": "Heydar Aliyev International Airport",
    "transit_at": "2026-12-10T06:30:00+04:00",
    "means": "air",
    "escorts": {"count": 2, "agency": "Bundespolizei", "officers": [{"name": "Jürgen Weiß"}]},
}
CASE = {
    "_id": "c0ffee00-0000-4000-8000-000000000001",
    "person_ref": "AZ-2026-000001",
    "stage": "booked",
    "particulars": {
        "given_name": "Rəşad",
        "family_name": "Məmmədov",
        "birth_date": "1990-04-02",
        "sex": "male",
    },
    "documents": [{"kind": "passport", "number": "K1234567"}],
    "languages": ["az", "ru"],
    "booking": {"route": "GYD-IKA J2 9012", "departure_date": "2026-12-01", "escort": True},
    "referral": {"source": "detention_centre", "centre_id": "baku"},
    "classification": "AVM",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    n = parser.parse_args().n
    base = timed(
        "baseline: one-line PDF, same font",
        lambda i: render(Document("x", "y", [Section("z", [("a", "b")])])),
        n,
    )
    print(base.line())
    for name, make in (
        ("AVRR case summary", lambda i: render(case_summary(CASE, "2026-11-30"))),
        ("Annex 5 readmission application", lambda i: render(annex5(REQUEST, "2026-11-30"))),
        ("Annex 6 transit application", lambda i: render(annex6(TRANSIT, "2026-11-30"))),
    ):
        print(timed(name, make, n).line(base))


if __name__ == "__main__":
    main()
