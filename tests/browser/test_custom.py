"""A typed formula and optax's optimizers in the browser: type, race Lion against Adam, share it."""

from __future__ import annotations

import json
import urllib.parse

import numpy as np
from playwright.sync_api import Page

from tests.browser.test_app import RUN_DONE, new_run, shot

FORMULA = "x^2 + 10*y^2 + 0.3*sin(5*x)"


def hash_state(page: Page) -> dict:
    return json.loads(urllib.parse.unquote(page.evaluate("() => window.location.hash")[1:]))


def drawn_paths(page: Page) -> list[dict]:
    """Per configuration: its colour, whether shown, and its dots now (end points)."""
    return page.evaluate(
        """() => window.errorscape.drawn.configs.map(c => ({color: c.color, hidden: c.hidden,
             x: Array.from(c.dots.x), y: Array.from(c.dots.y)}))"""
    )


def test_type_a_formula_and_race_lion_against_adam(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    page.select_option("#surface", "custom")
    page.wait_for_function(RUN_DONE + " && window.errorscape.custom && window.errorscape.custom.description.en !== ''", timeout=60000)
    assert page.locator("#custom-box").is_visible()

    # A wrong formula: the error points at the unknown name, and the last good surface stays.
    page.fill("#formula", "x^2 + q*y")
    page.press("#formula", "Enter")
    error = page.locator("#formula-error")
    error.wait_for(state="visible")
    lines = error.inner_text().split("\n")
    assert lines[0] == "x^2 + q*y" and lines[1] == " " * 6 + "^" and "unknown name" in lines[2]
    assert page.get_attribute("#formula", "aria-invalid") == "true"
    page.errors.clear()  # type: ignore[attr-defined]  # the browser logs the refused request's 422

    # Type the formula, run it.
    page.fill("#formula", FORMULA)
    new_run(page, lambda: page.press("#formula", "Enter"))
    assert error.is_hidden()
    assert page.evaluate("() => window.errorscape.custom.title.en") == "x ** 2 + 10 * y ** 2 + 0.3 * sin(5 * x)"

    # Configuration 1: optax's Lion; configuration 2: the lecture's Adam.
    new_run(page, lambda: page.select_option("#rule", "lion"))
    assert page.locator("#hyper-learning_rate").count() == 1 and page.locator("#lr").count() == 0
    new_run(page, lambda: page.click("#add-config"))
    new_run(page, lambda: page.select_option("#rule", "lecture"))
    new_run(page, lambda: page.click("#preset-adam"))
    shot(page, "custom-lion-vs-adam")

    state = hash_state(page)
    assert state["surface"] == "custom" and state["custom"]["formula"] == FORMULA
    assert state["configs"][0]["optax"] == "lion" and state["configs"][1]["momentum"] == "adam"
    paths = drawn_paths(page)
    assert len(paths) == 2 and not any(p["hidden"] for p in paths)
    starts = np.array(page.evaluate("() => window.errorscape.custom.default_starts"), np.float32)
    ends = [np.stack([p["x"], p["y"]], axis=1) for p in paths]
    for end in ends:
        assert end.shape == starts.shape and np.isfinite(end).all()
        assert (np.linalg.norm(end - starts, axis=1) > 0.2).all()  # both moved from every start
    assert not np.allclose(ends[0], ends[1], atol=1e-3)  # Lion and Adam took different paths
    # Both trajectories are on the canvas: a pixel of each configuration's colour at its dot.
    for c in range(2):
        assert page.evaluate(
            f"""() => {{ const gd = document.getElementById('surface-plot'); const L = gd._fullLayout;
            const d = window.errorscape.drawn.configs[{c}].dots; const cv = document.getElementById('moving-layer');
            const k = cv.width / cv.getBoundingClientRect().width;
            const px = cv.getContext('2d').getImageData(
              Math.round((L._size.l + L.xaxis.l2p(d.x[0])) * k), Math.round((L._size.t + L.yaxis.l2p(d.y[0])) * k), 1, 1).data;
            return px[3] > 0; }}"""
        )
    assert page.errors == []  # type: ignore[attr-defined]

    # The link reproduces the formula, the optimizers and the run.
    url = page.url
    other = page.context.new_page()
    other.goto(url)
    other.wait_for_function(RUN_DONE + " && window.errorscape.custom && window.errorscape.custom.description.en !== ''", timeout=60000)
    assert other.input_value("#formula") == FORMULA
    assert other.input_value("#rule") == "lecture" or other.evaluate("() => window.errorscape.state.configs[0].optax") == "lion"
    request = "async () => { const m = await import('/js/state.js'); const a = window.errorscape; return m.runRequest(a.state, a.custom); }"
    assert other.evaluate(request) == page.evaluate(request)
    other.close()


def test_a_refused_formula_from_a_link_falls_back_and_says_where(page, server):
    state = {"surface": "custom", "custom": {"formula": "x + __import__('os')", "domain": [[-1, 1], [-1, 1]]}}
    page.goto(server + "/#" + urllib.parse.quote(json.dumps(state)))
    page.wait_for_function(RUN_DONE, timeout=60000)
    lines = page.locator("#formula-error").inner_text().split("\n")
    assert lines[0] == "x + __import__('os')"
    assert lines[1] == " " * 4 + "^" * 10 and "unknown function" in lines[2]
    assert "default formula" in lines[3]
    assert page.evaluate("() => window.errorscape.state.custom.formula") == "x**2 + 10*y**2 + 0.3*sin(5*x)"
    # The box holds the formula the caret points into, for the person to mend; the surface drawn
    # is the default one, and the error says so.
    assert page.input_value("#formula") == "x + __import__('os')"
    assert page.get_attribute("#formula", "aria-invalid") == "true"
    # The box fits its column at a projector's width.
    page.set_viewport_size({"width": 1920, "height": 1080})
    box, column = page.locator("#formula").bounding_box(), page.locator("#controls").bounding_box()
    use = page.locator("#formula-apply").bounding_box()
    assert box and column and use and use["x"] + use["width"] <= column["x"] + column["width"]


def test_optax_hyperparameters_rerun_without_compiling_and_statics_say_so(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    new_run(page, lambda: page.select_option("#rule", "adafactor"))
    label = page.locator("label", has=page.locator("#static-multiply_by_parameter_scale"))
    assert "compiles a new program" in label.inner_text()
    slider = page.locator("#hyper-decay_rate")
    new_run(page, lambda: slider.fill("0.5"))
    assert "compiled" not in page.inner_text("#status")  # a traced hyperparameter: the same program
    assert hash_state(page)["configs"][0]["hyper"]["decay_rate"] == 0.5
    assert page.errors == []  # type: ignore[attr-defined]
