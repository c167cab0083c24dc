"""The gateway's route table: which roles may call which proxied path, and which paths hold personal
data.

The services check roles and scopes again (defence in depth); this table is the first gate and
the source of the authorisation-matrix test, so a route added here is tested automatically.
Matching is by path template (``{name}`` is one segment); the most specific template wins, and
each service has a catch-all so a new service route is at least limited to that service's users
and audited as personal data until it gets its own line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

READ = ("GET",)
WRITE = ("POST", "PUT", "PATCH", "DELETE")
ALL_ROLES = ("admin", "centre_staff", "liaison_officer", "avr_caseworker", "partner", "auditor")


@dataclass(frozen=True)
class Route:
    """Callers with ``roles`` may send ``methods`` to paths matching ``template``."""

    template: str
    methods: tuple[str, ...]
    roles: tuple[str, ...]
    personal: bool = False

    @property
    def service(self) -> str:
        return self.template.split("/")[3]

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.template)

    @property
    def specificity(self) -> tuple[int, int]:
        return _specificity(self.template)


# Both cached: every proxied request matches its path against every route (rebuilding the
# patterns each time was 3% of the gateway's CPU under a GET load).
@cache
def _specificity(template: str) -> tuple[int, int]:
    literal = [s for s in template.split("/") if s and not s.startswith("{")]
    return (len(literal), len(template.split("/")))


@cache
def _compiled(template: str) -> re.Pattern[str]:
    parts = [
        f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in template.split("/")
    ]
    tail = "(?P<rest>/.*)?" if template.count("/") == 3 else ""  # a service's catch-all
    return re.compile("/".join(parts) + tail + r"\Z")


D, R, V = "/api/v1/detention", "/api/v1/readmission", "/api/v1/voluntary-return"
UNIT_READERS = (
    "admin",
    "centre_staff",
    "liaison_officer",
    "avr_caseworker",
    "auditor",
)  # free places: no personal data
STATISTICS = ("admin", "auditor")  # and the gateway's own system identity (reports); never partners
# Who works each service's cases (with the administrators), and who reads them: the same and the
# auditors, who never write.
DETENTION_STAFF = ("admin", "centre_staff")
DETENTION_READERS = (*DETENTION_STAFF, "auditor")
LIAISON = ("admin", "liaison_officer")
READMISSION_READERS = (*LIAISON, "auditor")
CASEWORKERS = ("admin", "avr_caseworker")
RETURN_READERS = (*CASEWORKERS, "auditor")
ROUTES: tuple[Route, ...] = (
    # detention -- centres and units hold no personal data; stays do
    Route(f"{D}/centres", READ, ALL_ROLES),
    Route(f"{D}/centres/{{centre_id}}", READ, ALL_ROLES),
    Route(f"{D}/centres", WRITE, ("admin",)),
    Route(f"{D}/centres/{{centre_id}}", WRITE, ("admin",)),
    Route(f"{D}/centres/{{centre_id}}/occupancy", READ, UNIT_READERS),
    Route(f"{D}/centres/{{centre_id}}/occupancy/history", READ, UNIT_READERS),
    Route(f"{D}/centres/{{centre_id}}/units", READ, UNIT_READERS),
    Route(f"{D}/centres/{{centre_id}}/units", WRITE, ("admin",)),
    Route(f"{D}/units/{{unit_id}}", READ, UNIT_READERS),
    Route(f"{D}/units/{{unit_id}}", WRITE, ("admin",)),
    Route(f"{D}/stays", READ, DETENTION_READERS, personal=True),
    Route(f"{D}/stays", WRITE, DETENTION_STAFF, personal=True),
    Route(f"{D}/family-admissions", WRITE, DETENTION_STAFF, personal=True),
    Route(f"{D}/stays/{{stay_id}}", READ, DETENTION_READERS, personal=True),
    Route(f"{D}/stays/{{stay_id}}/{{action}}", READ, DETENTION_READERS, personal=True),
    Route(f"{D}/stays/{{stay_id}}", WRITE, DETENTION_STAFF, personal=True),
    Route(f"{D}/stays/{{stay_id}}/{{action}}", WRITE, DETENTION_STAFF, personal=True),
    Route(f"{D}/statistics/occupancy", READ, STATISTICS),
    Route(
        f"{D}/persons/{{person_ref}}/export", READ, ("admin",), personal=True
    ),  # subject access request
    Route(f"{D}/persons/search", READ, DETENTION_STAFF, personal=True),
    Route(D, READ, UNIT_READERS, personal=True),
    Route(D, WRITE, DETENTION_STAFF, personal=True),
    # readmission -- requests are personal data
    Route(f"{R}/persons/{{person_ref}}/location", READ, READMISSION_READERS, personal=True),
    Route(f"{R}/worklist", READ, READMISSION_READERS, personal=True),
    Route(f"{R}/protocols", READ, READMISSION_READERS),
    Route(f"{R}/protocols/{{member_state}}", READ, READMISSION_READERS),
    Route(f"{R}/protocols/{{member_state}}/versions", WRITE, ("admin",)),
    # Agreements, their rule versions and holiday-calendar overrides: the law the clocks apply (no
    # personal data).
    Route(f"{R}/agreements", READ, READMISSION_READERS),
    Route(f"{R}/agreements", WRITE, ("admin",)),
    Route(f"{R}/agreements/{{code}}", READ, READMISSION_READERS),
    Route(f"{R}/agreements/{{code}}/rule-versions", WRITE, ("admin",)),
    Route(f"{R}/calendars/{{country}}", READ, READMISSION_READERS),
    Route(f"{R}/calendars/{{country}}/days/{{day}}", WRITE, ("admin",)),
    Route(f"{R}/requests", READ, READMISSION_READERS, personal=True),
    Route(f"{R}/requests", WRITE, LIAISON, personal=True),
    Route(f"{R}/requests/{{request_id}}", READ, READMISSION_READERS, personal=True),
    Route(f"{R}/requests/{{request_id}}", WRITE, LIAISON, personal=True),
    Route(f"{R}/requests/{{request_id}}/{{action}}", READ, READMISSION_READERS, personal=True),
    Route(f"{R}/requests/{{request_id}}/{{action}}", WRITE, LIAISON, personal=True),
    Route(f"{R}/transits", READ, READMISSION_READERS, personal=True),
    Route(f"{R}/transits", WRITE, LIAISON, personal=True),
    Route(f"{R}/transits/{{transit_id}}", READ, READMISSION_READERS, personal=True),
    Route(f"{R}/transits/{{transit_id}}/{{action}}", WRITE, LIAISON, personal=True),
    Route(f"{R}/statistics", READ, STATISTICS),
    Route(
        f"{R}/persons/{{person_ref}}/export", READ, ("admin",), personal=True
    ),  # subject access request
    Route(f"{R}/persons/search", READ, LIAISON, personal=True),
    Route(f"{R}/requests/{{request_id}}/annex5.pdf", READ, LIAISON, personal=True),  # a download
    Route(f"{R}/transits/{{transit_id}}/annex6.pdf", READ, LIAISON, personal=True),  # a download
    Route(f"{R}/requests/{{request_id}}/files", READ, LIAISON, personal=True),
    Route(f"{R}/requests/{{request_id}}/files", WRITE, LIAISON, personal=True),
    Route(f"{R}/requests/{{request_id}}/files/{{file_id}}", READ, LIAISON, personal=True),
    Route(R, READ, READMISSION_READERS, personal=True),
    Route(R, WRITE, LIAISON, personal=True),
    # voluntary return -- cases are personal data
    Route(f"{V}/persons/{{person_ref}}/location", READ, RETURN_READERS, personal=True),
    Route(f"{V}/referral-prefill/{{person_ref}}", READ, CASEWORKERS, personal=True),
    Route(f"{V}/cases", READ, RETURN_READERS, personal=True),
    Route(f"{V}/cases", WRITE, CASEWORKERS, personal=True),
    Route(f"{V}/cases/{{case_id}}", READ, RETURN_READERS, personal=True),
    Route(f"{V}/cases/{{case_id}}", WRITE, CASEWORKERS, personal=True),
    Route(f"{V}/cases/{{case_id}}/{{action}}", READ, RETURN_READERS, personal=True),
    Route(f"{V}/cases/{{case_id}}/{{action}}", WRITE, CASEWORKERS, personal=True),
    Route(f"{V}/statistics", READ, STATISTICS),
    Route(
        f"{V}/persons/{{person_ref}}/export", READ, ("admin",), personal=True
    ),  # subject access request
    Route(f"{V}/persons/search", READ, CASEWORKERS, personal=True),
    Route(f"{V}/cases/{{case_id}}/summary.pdf", READ, CASEWORKERS, personal=True),  # a download
    Route(f"{V}/cases/{{case_id}}/files", READ, CASEWORKERS, personal=True),
    Route(f"{V}/cases/{{case_id}}/files", WRITE, CASEWORKERS, personal=True),
    Route(f"{V}/cases/{{case_id}}/files/{{file_id}}", READ, CASEWORKERS, personal=True),
    Route(V, READ, RETURN_READERS, personal=True),
    Route(V, WRITE, CASEWORKERS, personal=True),
)


@dataclass(frozen=True)
class Match:
    route: Route
    ids: dict[str, str]

    @property
    def resource(self) -> str:
        return self.route.template


def match(path: str, method: str, routes: tuple[Route, ...] = ROUTES) -> Match | None:
    """The most specific route for ``method`` on ``path`` (None: no route,
    the gateway answers 404)."""
    method = "GET" if method == "HEAD" else method
    best: Match | None = None
    for route in routes:
        if method not in route.methods:
            continue
        found = route.pattern.match(path)
        if found and (best is None or route.specificity > best.route.specificity):
            best = Match(route, {k: v for k, v in found.groupdict().items() if v is not None})
    return best


# The gateway's own routes (it answers them itself); the matrix test covers them as well.
TIMELINE_ROLES = ("admin", "centre_staff", "liaison_officer", "avr_caseworker", "auditor")
REPORT_ROLES = ("partner", "admin", "auditor")
AUDIT_READERS = ("auditor", "admin")
ADMINS = ("admin",)
SEARCH_ROLES = (
    "admin",
    "centre_staff",
    "liaison_officer",
    "avr_caseworker",
)  # those who see particulars
OWN_ROUTES: tuple[Route, ...] = (
    Route("/api/v1/persons/search", READ, SEARCH_ROLES, personal=True),
    Route("/api/v1/persons/{person_ref}/timeline", READ, TIMELINE_ROLES, personal=True),
    Route("/api/v1/reports/monthly", READ, REPORT_ROLES),
    Route("/api/v1/reports/corrections", ("POST",), ADMINS),
    Route("/api/v1/reports/{name}", READ, REPORT_ROLES),
    Route("/api/v1/audit", READ, AUDIT_READERS),
    Route("/api/v1/admin/users", ("POST",), ADMINS),
    Route("/api/v1/admin/users/{username}", READ, ADMINS),
    Route("/api/v1/admin/users/{username}/disable", ("POST",), ADMINS),
    Route("/api/v1/admin/users/{username}/password", ("PUT",), ADMINS),
    Route("/api/v1/admin/login-throttles", READ, ADMINS),
    Route("/api/v1/admin/login-throttles", ("DELETE",), ADMINS),
)
