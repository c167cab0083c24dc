"""Fixtures of the browser tests: the launcher's stack (seeded) and Debian's headless Chromium.

The tests skip only when ``/usr/bin/chromium`` is absent (``.ci/run`` installs it); a missing
``playwright`` package is a failure, not a skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.probes import free_port_base
from devstack.stack import Stack
from tests.browser.ui_support import LAPTOP, REPO

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "Chromium is not installed at /usr/bin/chromium (apt-get install chromium); "
            "browser tests need it"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Stack]:
    env: dict[str, str | None] = {"MONGO_URL": None, "AMQP_URL": None, "PASSAGE_BUS_PREFIX": None}
    with Stack(
        REPO,
        var_dir=tmp_path_factory.mktemp("ui-stack"),
        base_port=free_port_base(),
        env=env,
        workers=1,
    ) as running:
        running.seed()
        yield running


@pytest.fixture
def page_for(chromium: Any, stack: Stack) -> Iterator[Any]:
    """``page_for(username)``: a fresh browser context signed in through the sign-in form."""
    contexts = []

    def open_as(username: str, viewport: dict[str, int] = LAPTOP, lang: str = "en") -> Any:
        """Signed in, reading ``lang`` (English unless asked: the tests find fields by their English
        labels)."""
        context = chromium.new_context(
            viewport=viewport, accept_downloads=True, bypass_csp=True
        )  # axe is injected
        contexts.append(context)
        context.set_default_timeout(10_000)
        context.add_cookies([{"name": "passage_lang", "value": lang, "url": stack.gateway_url}])
        page = context.new_page()
        page.goto(f"{stack.gateway_url}/ui/sign-in")
        page.locator("#username").fill(username)  # by id: the labels are in the language asked for
        page.locator("#password").fill(stack.logins[username])
        page.locator("form:has(#password) button[type=submit]").click()
        page.wait_for_url(lambda url: "/ui/sign-in" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()
