"""Fixtures of the browser tests: a real uvicorn per test module, Debian's chromium, a page
that records console errors and every host it talks to."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.chromium import CHROMIUM, FLAGS
from tests.server_process import running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("browser")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.hosts = set()  # type: ignore[attr-defined]
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    page.on("request", lambda r: page.hosts.add(r.url.split("/")[2]))  # type: ignore[attr-defined]
    yield page
    context.close()
