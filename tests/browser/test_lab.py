"""The network lab in the browser: every network lesson's scene on one screen, the request the
page sends is the one tests/test_net_lessons.py measured, and the numbers the page shows say
what the scene's text claims."""

from __future__ import annotations

import json
import math
import urllib.parse

import pytest
from playwright.sync_api import Page

from errorscape.server.net_lessons import NET_LESSONS, lab_spec
from errorscape.server.nets_models import LabSpec
from tests.browser.test_app import in_view, shot

# Done: the run finished and the picked network's plane and Hessian arrived.
LAB_DONE = (
    "() => { const l = window.errorscape && window.errorscape.labRun;"
    " return !!(l && l.run && l.run.finished && l.hessian && (l.plane || l.planeError)"
    " && (l.ratios || window.errorscape.lab.chart !== 'ratio')); }"
)
ON_SCREEN = ("#lab-task-plot", "#lab-plane-plot", "#lab-loss-chart", "#lab-second-chart", "#lab-train", "#lab-picked")
PLOTS = ("lab-task-plot", "lab-plane-plot", "lab-loss-chart", "lab-second-chart")


def overflowing_plots(page: Page) -> list:
    """The plots whose drawing is larger than their box (the part outside is hidden under the
    next region: an axis title cut off, a tab bar over the ticks), with both boxes."""
    return page.evaluate(
        """(ids) => ids.flatMap((id) => {
            const box = document.getElementById(id).getBoundingClientRect();
            const svg = document.querySelector(`#${id} .main-svg`);
            if (!svg) return [];
            const drawn = svg.getBoundingClientRect();
            return drawn.bottom > box.bottom + 1 || drawn.right > box.right + 1
                ? [[id, [box.right, box.bottom], [drawn.right, drawn.bottom]]] : [];
        })""",
        list(PLOTS),
    )


def summary(page: Page) -> list[dict]:
    """Each configuration's numbers as the side panel shows them (median over networks)."""
    return page.evaluate("() => [...document.querySelectorAll('#lab-picked dd[data-values]')].map((d) => JSON.parse(d.dataset.values))")


def picked(page: Page, field: str) -> float:
    text = page.locator(f"#lab-picked dd[data-field='{field}']").text_content()
    assert text is not None
    return float(text)


# What each scene's text claims, read off the page (the thresholds of tests/test_net_lessons.py).
CLAIMS = {
    ("net-model-bias", "linear"): lambda s, p: 0.2 < s[0]["train"] < 0.3,
    ("net-model-bias", "network"): lambda s, p: s[0]["train"] < 0.06,
    ("net-optimization", "deep"): lambda s, p: abs(s[0]["train"] - math.log(2)) < 0.03,
    ("net-optimization", "deep-batch-norm"): lambda s, p: s[0]["train"] < 0.3,
    ("net-overfitting", "few-points"): lambda s, p: s[0]["train"] < 0.01 * s[0]["test"],
    ("net-mismatch", "shifted"): lambda s, p: s[0]["test"] > 1 and s[0]["acc"] < 0.8,
    ("net-flat-minima", "race"): lambda s, p: s[1]["lambda"] > 1.5 * s[0]["lambda"] and s[1]["test"] > 1.1 * s[0]["test"],
    ("net-critical-points", "ratio"): lambda s, p: p("flat-share") > 0.5,
    ("net-warmup", "race"): lambda s, p: s[1]["train"] < 0.7 * s[0]["train"],
    ("net-saturation", "cross-entropy"): lambda s, p: s[0]["train"] < 0.1 and s[0]["acc"] > 0.9,
    ("net-saturation", "mse"): lambda s, p: s[0]["acc"] < 0.7,
    ("net-batch-norm", "plain"): lambda s, p: abs(s[0]["train"] - math.log(2)) < 0.05,
    ("net-batch-norm", "batch-norm"): lambda s, p: s[0]["train"] < 0.25,
}


# A scene trains its networks anew (a few to tens of seconds on a 2-core machine; several
# times that while the other test worker compiles): a generous wait, not a speed check.
SCENE_TIMEOUT_MS = 300_000


def open_lab(page: Page, server: str, state: dict | None = None) -> None:
    page.goto(server + "/#" + urllib.parse.quote(json.dumps({"mode": "nets", **({"lab": state} if state else {})})))
    page.wait_for_function(LAB_DONE, timeout=SCENE_TIMEOUT_MS)


def test_walking_every_network_scene_on_a_laptop_screen(page, server):
    page.set_viewport_size({"width": 1366, "height": 768})
    open_lab(page, server)
    lessons = page.evaluate("() => window.errorscape.lessons")
    first = next(i for i, entry in enumerate(lessons) if entry["scenes"][0].get("lab"))
    assert [entry["id"] for entry in lessons[first:]] == [entry["id"] for entry in NET_LESSONS]
    walked = 0
    for i, entry in enumerate(NET_LESSONS):
        for k, scene in enumerate(entry["scenes"]):
            # Each scene trains anew: wait for its own run, not the one before it.
            before = page.evaluate("() => window.errorscape.labRun.run.id")
            if walked:
                page.click("#lesson-next")
            else:
                page.select_option("#lesson-select", str(first))
            page.wait_for_function(f"() => window.errorscape.labRun.run.id !== {before}", timeout=60000)
            page.wait_for_function(LAB_DONE, timeout=SCENE_TIMEOUT_MS)
            walked += 1
            assert page.evaluate("() => window.errorscape.lesson") == {"lesson": first + i, "scene": k}
            assert page.locator("#scene-text").text_content() == scene["text"]["en"]
            # The page trains what the claim tests trained.
            body = page.evaluate("async () => (await import('/js/labstate.js')).labRequest(window.errorscape.lab)")
            assert LabSpec.model_validate(body) == lab_spec(scene["lab"]), (entry["id"], scene["id"], body)
            for selector in (*ON_SCREEN, "#lesson-text"):
                assert in_view(page, selector), (entry["id"], scene["id"], selector)
            assert overflowing_plots(page) == [], (entry["id"], scene["id"])
            assert page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight + 1")
            assert page.locator(f"#lab-tab-{scene['chart']}").get_attribute("aria-selected") == "true"
            assert page.evaluate("() => document.getElementById('lab-second-chart').data.length") > 0, (entry["id"], scene["id"])
            claim = CLAIMS.get((entry["id"], scene["id"]))
            if claim:
                assert claim(summary(page), lambda f: picked(page, f)), (entry["id"], scene["id"], summary(page))
            if (entry["id"], scene["id"]) == ("net-overfitting", "few-points"):
                # The marker on the loss chart points at the early minimum of the test loss.
                stop = page.evaluate(
                    "() => document.getElementById('lab-loss-chart').data.find((t) => t.meta && t.meta.earlyStop !== undefined)"
                )
                assert stop and stop["x"][0] < scene["lab"]["steps"] / 2, stop
            shot(page, f"lab-1366x768-{entry['id']}-{scene['id']}")
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_the_lab_on_one_screen_with_its_pictures_true(page, server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_lab(page, server)
    for selector in ON_SCREEN:
        assert in_view(page, selector), (width, selector)
    assert page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight + 1")
    # Each plot drawn inside its box once the run has ended (its status line wraps then).
    page.wait_for_timeout(300)
    assert overflowing_plots(page) == []
    # The second chart's tabs on one row, and the line's far end (configuration, network) on one line.
    tops = page.evaluate("() => [...document.querySelectorAll('#lab-tabs button')].map((b) => Math.round(b.getBoundingClientRect().top))")
    assert len(tops) >= 7 and max(tops) - min(tops) <= 2, tops
    far = [page.locator(f"#lab-other-{part}").bounding_box() for part in ("config", "network")]
    assert abs(far[0]["y"] - far[1]["y"]) <= 4 and far[1]["x"] > far[0]["x"], far
    # The task picture: every training point drawn, and the picked network's class regions.
    run = page.evaluate("() => { const r = window.errorscape.labRun.run; return {n: r.task.x_train.length, classes: r.task.classes}; }")
    data = page.evaluate("() => document.getElementById('lab-task-plot').data.map((t) => ({type: t.type, n: (t.x || []).length}))")
    assert data[0]["type"] == "heatmap"
    assert sum(t["n"] for t in data[1::2]) == run["n"]  # training points, one trace per class
    # The plane: the picked network (★) at the centre, its path ending there.
    plane = page.evaluate("() => window.errorscape.labRun.plane")
    assert abs(plane["path"]["x"][-1]) < 1e-6 and abs(plane["path"]["y"][-1]) < 1e-6
    # The loss chart: one median line per configuration and the picked network's own curves.
    names = page.evaluate("() => document.getElementById('lab-loss-chart').data.map((t) => t.name).filter(Boolean)")
    assert "picked network" in names
    shot(page, f"lab-{width}x{height}")
    assert page.errors == []  # type: ignore[attr-defined]


def test_stop_a_run_and_pick_a_network(page, server):
    page.set_viewport_size({"width": 1366, "height": 768})
    open_lab(page, server)
    # A long run: progress shows, Stop stops it and says where.
    page.fill("#lab-steps", "20000")
    page.dispatch_event("#lab-steps", "change")
    page.wait_for_function("() => document.getElementById('lab-status').textContent.includes('of 20000')", timeout=60000)
    page.click("#lab-stop")
    page.wait_for_function("() => document.getElementById('lab-status').textContent.startsWith('stopped at step')", timeout=60000)
    assert page.locator("#lab-stop").is_disabled()
    # Back to a short run, then another network: its Hessian and plane are asked for.
    page.fill("#lab-steps", "300")
    page.dispatch_event("#lab-steps", "change")
    page.wait_for_function(LAB_DONE, timeout=SCENE_TIMEOUT_MS)
    page.fill("#lab-pick-network", "3")
    page.dispatch_event("#lab-pick-network", "change")
    page.wait_for_function(LAB_DONE, timeout=SCENE_TIMEOUT_MS)
    assert page.evaluate("() => window.errorscape.lab.selected.network") == 3
    page.click("#lab-tab-ratio")  # the homework's figure is asked for when its tab opens
    page.wait_for_function("() => !!window.errorscape.labRun.ratios", timeout=60000)
    marked = page.evaluate("() => window.errorscape.labRun.ratios.networks.network.indexOf(3)")
    assert marked >= 0  # the minimum-ratio figure marks network 3
    # The URL holds the lab: a reload comes back to the same setup and the same network.
    page.reload()
    page.wait_for_function(LAB_DONE, timeout=SCENE_TIMEOUT_MS)
    assert page.evaluate("() => [window.errorscape.lab.steps, window.errorscape.lab.selected.network]") == [300, 3]
    assert page.errors == []  # type: ignore[attr-defined]
