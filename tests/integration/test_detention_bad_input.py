"""Bad input on every endpoint of the detention slice: each is answered with a 4xx problem (with
field pointers where a field is at fault) and leaves the database exactly as it was."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from detention import service
from detention.app import create_app
from passage.config import Settings
from passage.identity import HEADER, Identity, sign_identity
from passage.testing import identity_headers
from tests.dates import centres_today

P = "/api/v1/detention"
TODAY = centres_today()
CENTRE = {"id": "baku", "name": "Baku Detention Centre", "city": "Baku"}
UNIT = {
    "id": "baku-m1",
    "name": "Men's wing 1",
    "category": "men",
    "declared_places": 40,
    "floor_area_m2": 180.0,
}
PERSON = {
    "given_name": "Ali",
    "family_name": "Rezaei",
    "birth_date": "1990-04-02",
    "sex": "male",
    "nationality": "IRN",
}
ORDER = {
    "kind": "court_order",
    "decision_ref": "2-1234/2026",
    "court": "Baku Administrative Court",
    "decided_on": TODAY.isoformat(),
    "valid_until": (TODAY + timedelta(days=90)).isoformat(),
}
ADMISSION = {"unit_id": "baku-m1", "person": PERSON, "legal_basis": ORDER}


class Stack:
    """The app with one centre, one unit and one stay, and a snapshot of every collection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.deps = service.build_deps(settings)
        self.client = create_app(settings, self.deps).test_client()
        self.admin = identity_headers(settings.internal_token_secret, role="admin")
        for path, body in (
            (f"{P}/centres", CENTRE),
            (f"{P}/centres/baku/units", UNIT),
            (f"{P}/stays", ADMISSION),
        ):
            response = self.client.post(path, json=body, headers=self.admin)
            assert response.status_code == 201, response.get_json()
        self.stay_id = response.get_json()["id"]

    def snapshot(self) -> dict[str, list[Any]]:
        db = self.deps.mongo.db
        return {
            name: list(db[name].find({}).sort("_id", 1))
            for name in sorted(db.list_collection_names())
        }

    def headers(self, role: str = "admin", **scopes: Any) -> dict[str, str]:
        return identity_headers(self.settings.internal_token_secret, role=role, **scopes)


@pytest.fixture(scope="module")
def stack(mongo_url: str) -> Iterator[Stack]:
    settings = Settings.from_env(
        "detention",
        env={},
        mongo_url=mongo_url,
        mongo_db=f"t_{uuid.uuid4().hex[:10]}_detention",
        bus_prefix="test-bad-input.",
    )
    built = Stack(settings)
    yield built
    built.deps.mongo.client.drop_database(settings.mongo_db)


@pytest.fixture
def unchanged(stack: Stack) -> Iterator[Stack]:
    """Fails the test when the database differs after it from before it."""
    before = stack.snapshot()
    yield stack
    assert stack.snapshot() == before, "a refused request changed the database"


def send(
    stack: Stack,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: str | bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    headers = stack.admin if headers is None else headers
    if raw is not None:
        return stack.client.open(
            path, method=method, data=raw, content_type="application/json", headers=headers
        )
    return stack.client.open(path, method=method, json=body, headers=headers)


def assert_problem(
    response: Any, status: int | tuple[int, ...], pointer: str | None = None
) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.get_json())
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.get_json()
    assert body["status"] == response.status_code and body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    if pointer is not None:
        assert pointer in [e["pointer"] for e in body.get("errors", [])], body
    return body


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


POSTS = {"centre": f"{P}/centres", "unit": f"{P}/centres/baku/units", "stay": f"{P}/stays"}
VALID = {
    "centre": with_(CENTRE, id="new-centre"),
    "unit": with_(UNIT, id="new-unit"),
    "stay": ADMISSION,
}


# malformed, oversize, not an object ----------------------------------------------------------
@pytest.mark.parametrize("target", list(POSTS))
@pytest.mark.parametrize(
    "raw", ['{"id": "x",', "{'id': 'x'}", "not json", '{"id": "x"} trailing', "\xff\xfe"]
)
def test_malformed_json_is_400(unchanged: Stack, target: str, raw: str) -> None:
    assert_problem(send(unchanged, "POST", POSTS[target], raw=raw.encode("latin-1")), 400)


@pytest.mark.parametrize("target", list(POSTS))
@pytest.mark.parametrize("raw", ["[1, 2]", '"baku"', "42", "null", "true"])
def test_a_body_that_is_not_an_object_is_refused(unchanged: Stack, target: str, raw: str) -> None:
    assert_problem(send(unchanged, "POST", POSTS[target], raw=raw), (400, 422))


@pytest.mark.parametrize("target", list(POSTS))
def test_oversize_bodies_are_413(unchanged: Stack, target: str) -> None:
    body = with_(VALID[target], name="x" * (unchanged.settings.max_body_bytes + 10))
    assert_problem(send(unchanged, "POST", POSTS[target], raw=json.dumps(body)), 413)


# wrong types ---------------------------------------------------------------------------------
WRONG_TYPES = [
    ("centre", with_(CENTRE, id=5), "/id"),
    ("centre", with_(CENTRE, name=["Baku"]), "/name"),
    ("centre", with_(CENTRE, city=None), "/city"),
    ("unit", with_(UNIT, declared_places="40"), "/declared_places"),
    ("unit", with_(UNIT, declared_places=40.5), "/declared_places"),
    ("unit", with_(UNIT, declared_places=True), "/declared_places"),
    ("unit", with_(UNIT, floor_area_m2="180"), "/floor_area_m2"),
    ("unit", with_(UNIT, floor_area_m2=False), "/floor_area_m2"),
    ("unit", with_(UNIT, single_room="false"), "/single_room"),
    ("unit", with_(UNIT, single_room=0), "/single_room"),
    ("unit", with_(UNIT, category=3), "/category"),
    ("unit", with_(UNIT, blocked_places="none"), "/blocked_places"),
    (
        "unit",
        with_(UNIT, blocked_places=[{"places": "2", "reason": "r", "until": "2030-01-01"}]),
        "/blocked_places/0/places",
    ),
    ("stay", with_(ADMISSION, person="Ali Rezaei"), "/person"),
    ("stay", with_(ADMISSION, person=with_(PERSON, birth_date=19900402)), "/person/birth_date"),
    ("stay", with_(ADMISSION, person=with_(PERSON, sex=True)), "/person/sex"),
    ("stay", with_(ADMISSION, legal_basis=[ORDER]), "/legal_basis"),
    ("stay", with_(ADMISSION, minor_override="yes"), "/minor_override"),
]


@pytest.mark.parametrize("target, body, pointer", WRONG_TYPES)
def test_wrong_types_are_422_with_a_pointer(
    unchanged: Stack, target: str, body: dict, pointer: str
) -> None:
    assert_problem(send(unchanged, "POST", POSTS[target], body), 422, pointer)


# unknown and missing fields ------------------------------------------------------------------
UNKNOWN = [
    ("centre", with_(CENTRE, id="c2", capacity=10), "/capacity"),
    ("unit", with_(UNIT, id="u2", occupancy=0), "/occupancy"),
    ("unit", with_(UNIT, id="u2", capacity=1000), "/capacity"),
    ("stay", with_(ADMISSION, status="closed"), "/status"),
    ("stay", with_(ADMISSION, person=with_(PERSON, religion="x")), "/person/religion"),
    ("stay", with_(ADMISSION, legal_basis=with_(ORDER, judge="x")), "/legal_basis/judge"),
    (
        "stay",
        with_(ADMISSION, minor_override={"reason": "r", "approved_by": "o", "note": "x"}),
        "/minor_override/note",
    ),
]


@pytest.mark.parametrize("target, body, pointer", UNKNOWN)
def test_unknown_fields_are_422(unchanged: Stack, target: str, body: dict, pointer: str) -> None:
    assert_problem(send(unchanged, "POST", POSTS[target], body), 422, pointer)


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


MISSING = [("centre", "{}", _without(CENTRE, k), f"/{k}") for k in CENTRE]
MISSING += [("unit", k, _without(UNIT, k), f"/{k}") for k in UNIT]
MISSING += [("stay", k, _without(ADMISSION, k), f"/{k}") for k in ADMISSION]
MISSING += [
    ("stay", f"person.{k}", with_(ADMISSION, person=_without(PERSON, k)), f"/person/{k}")
    for k in ("given_name", "family_name", "birth_date", "sex")
]
MISSING += [
    (
        "stay",
        "override.approved_by",
        with_(ADMISSION, minor_override={"reason": "r"}),
        "/minor_override/approved_by",
    )
]


@pytest.mark.parametrize(
    "target, name, body, pointer", MISSING, ids=[f"{m[0]}-{m[3]}" for m in MISSING]
)
def test_missing_fields_are_422(
    unchanged: Stack, target: str, name: str, body: dict, pointer: str
) -> None:
    assert_problem(send(unchanged, "POST", POSTS[target], body), 422, pointer)


@pytest.mark.parametrize("target", list(POSTS))
def test_an_empty_object_names_every_required_field(unchanged: Stack, target: str) -> None:
    body = assert_problem(send(unchanged, "POST", POSTS[target], {}), 422)
    assert len(body["errors"]) >= 3


def test_legal_basis_fields_each_kind_needs_are_checked(unchanged: Stack) -> None:
    body = with_(ADMISSION, legal_basis=_without(ORDER, "court"))
    assert_problem(send(unchanged, "POST", POSTS["stay"], body), 422, "/legal_basis/court")
    body = with_(ADMISSION, legal_basis={"kind": "asylum_applicant", "valid_until": "2030-01-01"})
    assert_problem(send(unchanged, "POST", POSTS["stay"], body), 422, "/legal_basis/valid_until")


# MongoDB operators in bodies -----------------------------------------------------------------
OPERATORS = [
    ("stay", with_(ADMISSION, unit_id={"$ne": None}), "/unit_id"),
    ("stay", with_(ADMISSION, unit_id={"$gt": ""}), "/unit_id"),
    ("stay", with_(ADMISSION, unit_id="$where"), "/unit_id"),
    ("stay", {"$where": "sleep(1000)", **ADMISSION}, "/$where"),
    ("stay", with_(ADMISSION, person={"$set": {"given_name": "x"}}), "/person/$set"),
    (
        "stay",
        with_(ADMISSION, person=with_(PERSON, person_ref={"$ne": None})),
        "/person/person_ref",
    ),
    ("stay", with_(ADMISSION, person=with_(PERSON, person_ref="$where")), "/person/person_ref"),
    ("stay", {**ADMISSION, "person.given_name": "x"}, "/person.given_name"),
    (
        "stay",
        with_(ADMISSION, legal_basis=with_(ORDER, kind={"$in": ["court_order"]})),
        "/legal_basis/kind",
    ),
    ("centre", with_(CENTRE, id={"$ne": None}), "/id"),
    ("centre", with_(CENTRE, id="$where"), "/id"),
    ("centre", {**CENTRE, "$set": {"name": "x"}}, "/$set"),
    ("centre", {**CENTRE, "a.b": 1}, "/a.b"),
    ("unit", with_(UNIT, id={"$gt": ""}), "/id"),
    ("unit", with_(UNIT, declared_places={"$inc": 1}), "/declared_places"),
    ("unit", {**UNIT, "$inc": {"occupancy": -1}}, "/$inc"),
    ("unit", with_(UNIT, category={"$ne": "men"}), "/category"),
]


@pytest.mark.parametrize("target, body, pointer", OPERATORS)
def test_mongodb_operators_in_bodies_are_422(
    unchanged: Stack, target: str, body: dict, pointer: str
) -> None:
    assert_problem(send(unchanged, "POST", POSTS[target], body), 422, pointer)


# ids that do not match their pattern ---------------------------------------------------------
BAD_SLUGS = ["Baku", "b", "-baku", "1baku", "baku_1", "baku.1", "baku 1", "b" * 41, "", "ба-ку"]


@pytest.mark.parametrize("bad", BAD_SLUGS)
def test_bad_ids_in_bodies_are_422(unchanged: Stack, bad: str) -> None:
    assert_problem(send(unchanged, "POST", POSTS["centre"], with_(CENTRE, id=bad)), 422, "/id")
    assert_problem(send(unchanged, "POST", POSTS["unit"], with_(UNIT, id=bad)), 422, "/id")
    assert_problem(
        send(unchanged, "POST", POSTS["stay"], with_(ADMISSION, unit_id=bad)), 422, "/unit_id"
    )


PATHS_WITH_BAD_IDS = [
    ("GET", f"{P}/centres/BAKU"),
    ("GET", f"{P}/centres/$where"),
    ("GET", f"{P}/centres/a.b"),
    ("GET", f"{P}/centres/%7B%22$ne%22:1%7D"),
    ("GET", f"{P}/centres/$where/units"),
    ("POST", f"{P}/centres/B_1/units"),
    ("GET", f"{P}/units/$ne"),
    ("GET", f"{P}/units/Baku-M1"),
    ("GET", f"{P}/stays/not-a-uuid"),
    ("GET", f"{P}/stays/$where"),
    ("GET", f"{P}/stays/01A20C61-FE05-7392-BF93-41FB56C196E6"),
    ("GET", f"{P}/stays/12345678-1234-1234-1234-1234567890123"),
]


@pytest.mark.parametrize("method, path", PATHS_WITH_BAD_IDS)
def test_bad_ids_in_paths_are_refused(unchanged: Stack, method: str, path: str) -> None:
    body = UNIT if method == "POST" else None
    response = send(unchanged, method, path, body)
    problem = assert_problem(response, (404, 422))
    if response.status_code == 422:
        assert problem["errors"][0]["pointer"].startswith("/path/")


# bad dates -----------------------------------------------------------------------------------
BAD_DATES = [
    "2025-02-30",
    "2025-13-01",
    "2025-00-10",
    "20250203",
    "2025-2-3",
    "2025-02-03T00:00:00",
    "03.02.2025",
    "",
]


@pytest.mark.parametrize("bad", BAD_DATES)
def test_bad_dates_are_422_with_a_pointer(unchanged: Stack, bad: str) -> None:
    assert_problem(
        send(
            unchanged, "POST", POSTS["stay"], with_(ADMISSION, person=with_(PERSON, birth_date=bad))
        ),
        422,
        "/person/birth_date",
    )
    assert_problem(
        send(
            unchanged,
            "POST",
            POSTS["stay"],
            with_(ADMISSION, legal_basis=with_(ORDER, valid_until=bad)),
        ),
        422,
        "/legal_basis/valid_until",
    )
    block = {"places": 1, "reason": "r", "until": bad}
    assert_problem(
        send(unchanged, "POST", POSTS["unit"], with_(UNIT, id="u9", blocked_places=[block])),
        422,
        "/blocked_places/0/until",
    )


# query strings -------------------------------------------------------------------------------
LISTS = [f"{P}/centres", f"{P}/centres/baku/units", f"{P}/stays"]
BAD_QUERIES = [
    "limit=0",
    "limit=201",
    "limit=abc",
    "limit=-1",
    "limit[$gt]=1",
    "cursor=!!!",
    "cursor=JHdoZXJl",
    "cursor=%7B%22$ne%22:1%7D",
    "sort=name",
    "$where=1",
    "a.b=1",
]
BAD_STAY_QUERIES = [
    "status[$ne]=x",
    "unit_id=$where",
    "unit_id[$ne]=x",
    "centre_id[$gt]=",
    "centre_id=$ne",
    "status=deleted",
    "status=$ne",
    "person_ref=$where",
    "unit_id=a.b",
    "centre_id=BAKU",
]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_list_queries_are_422(unchanged: Stack, path: str, query: str) -> None:
    assert_problem(send(unchanged, "GET", f"{path}?{query}"), 422)


@pytest.mark.parametrize("query", BAD_STAY_QUERIES)
def test_bad_stay_filters_are_422_with_a_pointer(unchanged: Stack, query: str) -> None:
    problem = assert_problem(send(unchanged, "GET", f"{P}/stays?{query}"), 422)
    assert problem["errors"][0]["pointer"].startswith("/query/")


@pytest.mark.parametrize("path", [f"{P}/centres/baku", f"{P}/units/baku-m1", "stay"])
@pytest.mark.parametrize("query", ["id[$ne]=x", "status=open", "$where=1"])
def test_single_reads_take_no_query(unchanged: Stack, path: str, query: str) -> None:
    path = f"{P}/stays/{unchanged.stay_id}" if path == "stay" else path
    assert_problem(send(unchanged, "GET", f"{path}?{query}"), 422)


@pytest.mark.parametrize("target", list(POSTS))
def test_posts_take_no_query(unchanged: Stack, target: str) -> None:
    assert_problem(send(unchanged, "POST", f"{POSTS[target]}?unit_id[$ne]=x", VALID[target]), 422)


# rules that refuse an admission --------------------------------------------------------------
REFUSED = [
    (with_(ADMISSION, person=with_(PERSON, sex="female")), 422, "/unit_id"),
    (
        with_(
            ADMISSION,
            person=with_(PERSON, birth_date=(TODAY - timedelta(days=365 * 15)).isoformat()),
        ),
        422,
        "/minor_override",
    ),
    (
        with_(ADMISSION, person=with_(PERSON, birth_date=(TODAY + timedelta(days=1)).isoformat())),
        422,
        "/person/birth_date",
    ),
    (
        with_(
            ADMISSION,
            legal_basis=with_(
                ORDER,
                valid_until=(TODAY - timedelta(days=1)).isoformat(),
                decided_on=(TODAY - timedelta(days=30)).isoformat(),
            ),
        ),
        422,
        "/legal_basis/valid_until",
    ),
    (
        with_(
            ADMISSION, legal_basis=with_(ORDER, decided_on=(TODAY + timedelta(days=1)).isoformat())
        ),
        422,
        "/legal_basis/decided_on",
    ),
    (with_(ADMISSION, unit_id="no-such-unit"), 404, None),
]


@pytest.mark.parametrize("body, status, pointer", REFUSED)
def test_refused_admissions_store_nothing(
    unchanged: Stack, body: dict, status: int, pointer: str | None
) -> None:
    problem = assert_problem(send(unchanged, "POST", POSTS["stay"], body), status, pointer)
    if status == 422:
        assert problem["rule"]


def test_a_person_held_already_is_409_and_stores_nothing(stack: Stack) -> None:
    held = stack.client.get(f"{P}/stays/{stack.stay_id}", headers=stack.admin).get_json()[
        "person_ref"
    ]
    before = stack.snapshot()
    body = with_(ADMISSION, person=with_(PERSON, person_ref=held))
    assert assert_problem(send(stack, "POST", POSTS["stay"], body), 409)["rule"] == "one_open_stay"
    assert stack.snapshot() == before


def test_existing_ids_are_409_and_change_nothing(unchanged: Stack) -> None:
    assert_problem(
        send(unchanged, "POST", POSTS["centre"], with_(CENTRE, name="Other")), 409, "/id"
    )
    assert_problem(
        send(unchanged, "POST", POSTS["unit"], with_(UNIT, declared_places=1)), 409, "/id"
    )


def test_units_of_unknown_centres_are_404(unchanged: Stack) -> None:
    assert_problem(send(unchanged, "POST", f"{P}/centres/nowhere/units", UNIT), 404)
    assert_problem(send(unchanged, "GET", f"{P}/centres/nowhere/units"), 404)


# identity ------------------------------------------------------------------------------------
ENDPOINTS = [
    ("POST", POSTS["centre"]),
    ("GET", f"{P}/centres"),
    ("GET", f"{P}/centres/baku"),
    ("POST", POSTS["unit"]),
    ("GET", f"{P}/centres/baku/units"),
    ("GET", f"{P}/units/baku-m1"),
    ("POST", POSTS["stay"]),
    ("GET", f"{P}/stays"),
    ("GET", "stay"),
]


def _forged(stack: Stack, kind: str) -> dict[str, str]:
    admin = Identity(user_id="mallory", role="admin")
    tokens = {
        "missing": None,
        "garbage": "not-a-token",
        "other_secret": sign_identity(admin, "another-secret-of-at-least-32-characters!"),
        "expired": sign_identity(admin, stack.settings.internal_token_secret, ttl_seconds=-120),
        "tampered": stack.admin[HEADER][:-3]
        + ("AAA" if not stack.admin[HEADER].endswith("AAA") else "BBB"),
    }
    token = tokens[kind]
    return {} if token is None else {HEADER: token}


@pytest.mark.parametrize("method, path", ENDPOINTS)
@pytest.mark.parametrize("kind", ["missing", "garbage", "other_secret", "expired", "tampered"])
def test_missing_or_forged_identity_is_401(
    unchanged: Stack, method: str, path: str, kind: str
) -> None:
    path = f"{P}/stays/{unchanged.stay_id}" if path == "stay" else path
    body = {
        "POST": VALID.get({POSTS["centre"]: "centre", POSTS["unit"]: "unit"}.get(path, "stay"))
    }.get(method)
    assert_problem(send(unchanged, method, path, body, headers=_forged(unchanged, kind)), 401)


# scopes --------------------------------------------------------------------------------------
OUT_OF_SCOPE = [
    ("GET", f"{P}/centres/baku", 404),
    ("GET", f"{P}/centres/baku/units", 404),
    ("GET", f"{P}/units/baku-m1", 404),
    ("GET", "stay", 404),
    ("POST", POSTS["stay"], 404),
    ("POST", POSTS["centre"], 403),
    ("POST", POSTS["unit"], 403),
]


@pytest.mark.parametrize("method, path, status", OUT_OF_SCOPE)
def test_centre_staff_of_another_centre_neither_see_nor_act(
    unchanged: Stack, method: str, path: str, status: int
) -> None:
    path = f"{P}/stays/{unchanged.stay_id}" if path == "stay" else path
    body = {
        POSTS["stay"]: ADMISSION,
        POSTS["centre"]: VALID["centre"],
        POSTS["unit"]: VALID["unit"],
    }.get(path)
    staff = unchanged.headers("centre_staff", centres=("yevlakh",))
    assert_problem(send(unchanged, method, path, body, headers=staff), status)


@pytest.mark.parametrize("query", ["", "?centre_id=baku", "?unit_id=baku-m1", "?status=open"])
def test_centre_staff_lists_hold_only_their_centres(unchanged: Stack, query: str) -> None:
    staff = unchanged.headers("centre_staff", centres=("yevlakh",))
    response = send(unchanged, "GET", f"{P}/stays{query}", headers=staff)
    assert response.status_code == 200 and response.get_json()["items"] == []
    centres = send(unchanged, "GET", f"{P}/centres", headers=staff)
    assert centres.status_code == 200 and centres.get_json()["items"] == []


def test_unknown_and_out_of_scope_read_the_same(unchanged: Stack) -> None:
    staff = unchanged.headers("centre_staff", centres=("yevlakh",))
    hidden = send(unchanged, "GET", f"{P}/units/baku-m1", headers=staff).get_json()
    missing = send(unchanged, "GET", f"{P}/units/none-such", headers=staff).get_json()
    assert (
        (hidden["status"], hidden["title"])
        == (missing["status"], missing["title"])
        == (404, "Not found")
    )


@pytest.mark.parametrize(
    "role, method, path",
    [
        ("partner", "GET", "stay"),
        ("partner", "GET", f"{P}/stays"),
        ("partner", "GET", f"{P}/units/baku-m1"),
        ("partner", "GET", f"{P}/centres/baku/units"),
        ("liaison_officer", "GET", "stay"),
        ("avr_caseworker", "GET", f"{P}/stays"),
        ("auditor", "POST", POSTS["stay"]),
        ("liaison_officer", "POST", POSTS["stay"]),
        ("auditor", "POST", POSTS["centre"]),
        ("centre_staff", "POST", POSTS["centre"]),
    ],
)
def test_roles_without_the_right_are_403(
    unchanged: Stack, role: str, method: str, path: str
) -> None:
    path = f"{P}/stays/{unchanged.stay_id}" if path == "stay" else path
    body = {POSTS["stay"]: ADMISSION, POSTS["centre"]: VALID["centre"]}.get(path)
    assert_problem(
        send(unchanged, method, path, body, headers=unchanged.headers(role, centres=("baku",))), 403
    )


# identifiers matched as whole strings (issue 12: "YEV-0001\n" opened a second stay) --------------
SMUGGLED = ["\n", "\r", "\x00", "\r\n", "\u2028"]
IDENTIFIER_CASES = (
    [
        (
            "person_ref",
            with_(ADMISSION, person=with_(PERSON, person_ref="YEV-0001" + end)),
            "/person/person_ref",
        )
        for end in SMUGGLED
    ]
    + [
        (
            "person_ref-cyrillic",
            with_(ADMISSION, person=with_(PERSON, person_ref="YЕV-0001")),
            "/person/person_ref",
        ),
        (
            "person_ref-fullwidth",
            with_(ADMISSION, person=with_(PERSON, person_ref="YEV-０００1")),
            "/person/person_ref",
        ),
    ]
    + [
        (
            "nationality",
            with_(ADMISSION, person=with_(PERSON, nationality=v)),
            "/person/nationality",
        )
        for v in ("IRN\n", "IRN\x00", "IRN\r", "ІRN")
    ]
    + [
        ("unit_id", with_(ADMISSION, unit_id=v), "/unit_id")
        for v in ("baku-m1\n", "baku-m1\x00", "bаku-m1")
    ]
)


@pytest.mark.parametrize(
    "name, body, pointer",
    IDENTIFIER_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(IDENTIFIER_CASES)],
)
def test_identifiers_with_trailing_controls_or_lookalikes_are_422(
    unchanged: Stack, name: str, body: dict, pointer: str
) -> None:
    assert_problem(send(unchanged, "POST", POSTS["stay"], body), 422, pointer)


def test_a_held_person_cannot_be_admitted_again_under_a_newline(stack: Stack) -> None:
    """The finding: the second admission of YEV-0001 with a final newline opened a second stay."""
    person = with_(PERSON, person_ref=f"YEV-{uuid.uuid4().hex[:6]}")
    first = send(stack, "POST", POSTS["stay"], with_(ADMISSION, person=person))
    assert first.status_code == 201, first.get_json()
    before = stack.snapshot()
    again = with_(ADMISSION, person=with_(person, person_ref=person["person_ref"] + "\n"))
    assert_problem(send(stack, "POST", POSTS["stay"], again), 422, "/person/person_ref")
    assert stack.snapshot() == before
    query = send(stack, "GET", f"{P}/stays?person_ref={person['person_ref']}%0A")
    assert_problem(query, 422)


def test_text_with_an_unpaired_surrogate_is_422_not_a_500(unchanged: Stack) -> None:
    raw = json.dumps(
        with_(CENTRE, id="surrogate", name="Baku \ud800 centre")
    )  # json.dumps escapes it as \ud800
    assert_problem(send(unchanged, "POST", POSTS["centre"], raw=raw), 422, "/name")
