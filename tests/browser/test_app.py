"""The browser app in Debian's chromium, driven by Playwright, against a real uvicorn."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, sync_playwright

from tests.server_process import ROOT, running_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
RUN_DONE = "() => window.errorscape && window.errorscape.run && window.errorscape.run.divergedAt !== null"


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


def new_run(page: Page, action) -> None:
    """Perform an action that starts a run and wait until that run is done."""
    before = page.evaluate("() => window.errorscape.run ? window.errorscape.run.id : -1")
    action()
    page.wait_for_function(f"() => {RUN_DONE[6:]} && window.errorscape.run.id !== {before}", timeout=60000)


def end_points(page: Page) -> np.ndarray:
    data = page.evaluate(
        """() => { const r = window.errorscape.run;
        const n = r.configs * r.starts; const off = 2 * r.steps * n;
        return {c: r.configs, s: r.starts, p: Array.from(r.positions.subarray(off, off + 2 * n))}; }"""
    )
    return np.array(data["p"], np.float32).reshape(data["c"], data["s"], 2)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_page_loads_clean_and_only_talks_to_its_own_host(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    shot(page, "main-view")
    assert page.errors == []  # type: ignore[attr-defined]
    assert page.hosts == {server.split("/")[2]}  # type: ignore[attr-defined]
    assert page.locator("#surface-plot .contour").count() >= 1 or page.locator("#surface-plot .contourlayer").count() >= 1


def test_every_surface_renders(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    names = page.evaluate("() => window.errorscape.surfaces.map(s => s.name)")
    assert len(names) == 10
    for name in names:
        new_run(page, lambda name=name: page.select_option("#surface", name))
        title = page.locator("#surface-plot .gtitle").text_content()
        expected = page.evaluate(f"() => window.errorscape.surfaces.find(s => s.name === {json.dumps(name)}).title.en")
        assert title == expected
    assert page.errors == []  # type: ignore[attr-defined]


def test_moving_the_learning_rate_reruns_and_matches_the_rest_api(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    slider = page.locator("#lr")
    slider.focus()
    new_run(page, lambda: page.keyboard.press("ArrowRight"))
    lr = page.evaluate("() => window.errorscape.state.configs[0].lr")
    assert lr == pytest.approx(10 ** (-2 + 0.01), rel=1e-6)
    body = page.evaluate(
        "async () => { const m = await import('/js/state.js'); const a = window.errorscape;"
        " return m.runRequest(a.state, a.surfaces.find(s => s.name === a.state.surface)); }"
    )
    request = urllib.request.Request(server + "/api/run", json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        rest = json.loads(response.read())
    np.testing.assert_array_equal(end_points(page), np.array(rest["positions"], np.float32)[:, -1])


def test_a_url_with_the_state_reproduces_the_run(page, server, browser):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    page.click("#preset-adam")
    new_run(page, lambda: page.fill("#random-count", "25") or page.click("#add-random"))
    url = page.url
    assert "#" in url
    first = end_points(page)
    other = browser.new_page()
    other.goto(url)
    other.wait_for_function(RUN_DONE, timeout=60000)
    np.testing.assert_array_equal(end_points(other), first)
    assert other.evaluate("() => window.errorscape.state.configs[0].sigma") == "adam"
    other.close()


def test_hessian_panel_at_the_two_weight_network_origin(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    new_run(page, lambda: page.select_option("#surface", "two_weight_net"))
    page.fill("#point-x", "0")
    page.fill("#point-y", "0")
    page.click("#analyze-point")
    page.wait_for_function("() => document.getElementById('analysis').dataset.kind === 'saddle'", timeout=30000)
    assert json.loads(page.locator("#analysis").get_attribute("data-eigenvalues")) == [-2.0, 2.0]
    assert "saddle" in page.locator("#analysis .verdict").text_content()
    assert page.locator("#escape").is_enabled()
    shot(page, "hessian-saddle")
    # The same by clicking the plot at the origin (no trajectories in the way).
    page.click("#clear-starts")
    page.wait_for_function("() => window.errorscape.run === null", timeout=30000)
    page.check("input[name=click-mode][value=analyze]")
    page.evaluate("() => { document.getElementById('analysis').dataset.kind = ''; }")
    box = page.evaluate(
        """() => { const gd = document.getElementById('surface-plot'); const L = gd._fullLayout; const r = gd.getBoundingClientRect();
        return {x: r.left + L._size.l + L.xaxis.l2p(0), y: r.top + L._size.t + L.yaxis.l2p(0)}; }"""
    )
    page.mouse.click(box["x"], box["y"])
    page.wait_for_function("() => document.getElementById('analysis').dataset.kind === 'saddle'", timeout=30000)
    new_run(page, lambda: page.click("#escape"))
    assert page.errors == []  # type: ignore[attr-defined]


def test_language_switch_changes_the_labels(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    assert page.locator("legend[data-i18n=surface]").text_content() == "Error surface"
    page.select_option("#language", "zh-TW")
    assert page.locator("legend[data-i18n=surface]").text_content() == "誤差曲面"
    assert page.locator("#surface option[value=saddle]").text_content() == "鞍點"
    page.select_option("#language", "zh-CN")
    assert page.locator("legend[data-i18n=starts]").text_content() == "起始点"
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    shot(page, "language-zh-CN")


def test_compare_mode_races_four_configurations(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    for preset in ("momentum", "rmsprop", "adam"):
        page.click("#add-config")
        page.click(f"#preset-{preset}")
    page.wait_for_function(f"() => {RUN_DONE[6:]} && window.errorscape.run.configs === 4", timeout=60000)
    assert page.locator("#add-config").is_disabled()
    legends = page.locator("#surface-plot .legend .traces").all_text_contents()
    assert sum(text.startswith("#") for text in legends) == 4, legends
    shot(page, "compare-four")


def test_basin_map_fills(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    new_run(page, lambda: page.select_option("#surface", "himmelblau"))
    page.click("#preset-adam")
    page.locator("#lr").fill("-1")  # η = 0.1: most of the grid reaches a minimum in 300 steps
    page.wait_for_function(RUN_DONE, timeout=60000)
    page.click("#basin-map")
    page.wait_for_function("() => window.errorscape.basins !== null", timeout=120000)
    basins = page.evaluate("() => window.errorscape.basins")
    assert basins["grid"] == 96 and len(basins["basin"]) == 96 * 96
    reached = {b for b in basins["basin"] if b >= 0}
    assert reached == {0, 1, 2, 3}
    drawn = page.evaluate("() => document.getElementById('surface-plot').data.map(t => t.name)")
    assert "basins" in drawn
    shot(page, "basin-map")


def test_bad_url_state_falls_back_to_defaults(page, server):
    page.goto(server + "/#" + "%7B%22surface%22%3A%22nope%22%2C%22steps%22%3A1e99%2C%22configs%22%3A%5B%7B%22lr%22%3A%22x%22%7D%5D%7D")
    page.wait_for_function(RUN_DONE, timeout=60000)
    state = page.evaluate("() => window.errorscape.state")
    assert state["surface"] == "narrow_valley" and state["steps"] == 5000 and state["configs"][0]["lr"] == 0.01
    assert page.errors == []  # type: ignore[attr-defined]


def test_artifacts_are_written():
    assert Path(ARTIFACTS).exists()
