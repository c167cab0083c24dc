"""Helpers of the browser tests: the gateway's API as a demo user (set-up only), screenshots,
axe-core."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from devstack.stack import Stack

REPO = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = REPO / "artifacts" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}


class Api:
    """The gateway's API as one demo user (test set-up only; the UI is what the tests drive)."""

    def __init__(self, stack: Stack, username: str) -> None:
        self.base = stack.gateway_url
        self.session = requests.Session()
        r = self.session.post(
            f"{self.base}/api/v1/auth/login",
            json={"username": username, "password": stack.logins[username]},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        self.session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        r = self.session.request(method, self.base + path, json=body, timeout=30)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text[:500]}"
        return r.json() if r.content else None


def shoot(page: Any, name: str) -> None:
    """A full-page screenshot under artifacts/screenshots/ (kept by CI, never committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def check_page(page: Any, name: str) -> None:
    """Screenshot, then no serious accessibility violation."""
    shoot(page, name)
    bad = serious_violations(page)
    assert not bad, f"{name}: {json.dumps(bad, indent=1)}"
