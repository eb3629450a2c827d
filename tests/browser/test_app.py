"""The browser app in Debian's chromium, driven by Playwright, against a real uvicorn."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page

from errorscape.server.lessons import LESSONS
from errorscape.server.net_lessons import NET_LESSONS
from errorscape.surfaces.critical import analyze
from tests.server_process import ROOT
from tests.test_lessons import scene_request

ARTIFACTS = ROOT / "test-artifacts"
RUN_DONE = "() => window.errorscape && window.errorscape.run && window.errorscape.run.divergedAt !== null && !window.errorscape.rendering()"


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


def shot(page: Page, name: str) -> Path:
    """A screenshot into test-artifacts/, checked to be a PNG this call wrote (the folder
    outlives runs: an old file must not pass for a new one)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    path.unlink(missing_ok=True)
    data = page.screenshot(path=str(path))
    assert path.read_bytes() == data and data[:8] == b"\x89PNG\r\n\x1a\n", name
    return path


def rest_run(page: Page, server: str) -> dict:
    """POST /api/run with the request the page's state describes."""
    body = page.evaluate(
        "async () => { const m = await import('/js/state.js'); const a = window.errorscape;"
        " return m.runRequest(a.state, a.surfaces.find(s => s.name === a.state.surface)); }"
    )
    request = urllib.request.Request(server + "/api/run", json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def goto_state(page: Page, server: str, state: dict) -> None:
    page.goto(server + "/#" + urllib.parse.quote(json.dumps(state)))
    page.wait_for_function(RUN_DONE, timeout=120000)


def trace(page: Page, plot: str, name: str) -> dict:
    return page.evaluate(f"() => document.getElementById({json.dumps(plot)}).data.find(t => t.name === {json.dumps(name)})")


def drawn_dots(page: Page, config: int) -> np.ndarray:
    """The dots the contour view's canvas layer shows for one configuration, [S, 2]."""
    xy = page.evaluate(f"() => {{ const d = window.errorscape.drawn.configs[{config}].dots; return [Array.from(d.x), Array.from(d.y)]; }}")
    return np.array(xy, np.float32).T


def dot_pixel(page: Page, config: int, start: int) -> dict:
    """Where a start's dot is on the page, from Plotly's own axis maps."""
    return page.evaluate(
        f"""() => {{ const gd = document.getElementById('surface-plot'); const L = gd._fullLayout; const r = gd.getBoundingClientRect();
        const d = window.errorscape.drawn.configs[{config}].dots;
        return {{x: r.left + L._size.l + L.xaxis.l2p(d.x[{start}]), y: r.top + L._size.t + L.yaxis.l2p(d.y[{start}])}}; }}"""
    )


def layer_pixel(page: Page, x: float, y: float) -> list[int]:
    """RGBA of the canvas layer at a page position."""
    return page.evaluate(
        f"""() => {{ const c = document.getElementById('moving-layer'); const r = c.getBoundingClientRect(); const k = c.width / r.width;
        return Array.from(c.getContext('2d').getImageData(Math.round(({x} - r.left) * k), Math.round(({y} - r.top) * k), 1, 1).data); }}"""
    )


def no_webgl_message(page: Page) -> bool:
    return "WebGL is not supported" not in page.locator("#surface-plot").inner_text()


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
    page.wait_for_timeout(500)  # past the settling time after the first full draw: the new run is moved in place
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
    # What is drawn: the dots at the last step are those end points.
    dots = drawn_dots(page, 0)
    np.testing.assert_array_equal(dots, np.array(rest["positions"], np.float32)[0, -1])
    # And on screen: the canvas layer repainted on its own looks exactly like a full redraw.
    moved = page.locator("#surface-plot").screenshot(path=str(ARTIFACTS / "lr-moved.png"))
    page.evaluate("() => window.errorscape.redraw()")
    page.wait_for_function("() => !window.errorscape.rendering()")
    assert page.locator("#surface-plot").screenshot(path=str(ARTIFACTS / "lr-redrawn.png")) == moved


def test_a_url_with_the_state_reproduces_the_run(page, server, browser):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    new_run(page, lambda: page.click("#preset-adam"))
    new_run(page, lambda: page.fill("#random-count", "25") or page.click("#add-random"))
    assert page.evaluate("() => window.errorscape.run.starts") == 28
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
    # Clicking a legend entry hides that configuration's runs on the canvas layer, and only it.
    page.locator("#surface-plot .legend .traces").filter(has_text="#2").locator(".legendtoggle").click()
    page.wait_for_function("() => window.errorscape.drawn.configs[1].hidden", timeout=10000)
    assert page.evaluate("() => window.errorscape.drawn.configs.map(c => c.hidden)") == [False, True, False, False]


def test_basin_map_fills(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    new_run(page, lambda: page.select_option("#surface", "himmelblau"))
    page.click("#preset-adam")
    page.locator("#lr").fill("-1")  # η = 0.1: most of the grid reaches a minimum in 300 steps
    page.wait_for_function(RUN_DONE, timeout=60000)
    page.click("#basin-map")
    # Coarse to fine: the map appears after the first pass, the progress bar counts passes.
    page.wait_for_function("() => window.errorscape.basins !== null && window.errorscape.basins.grid === 32", timeout=120000)
    assert page.locator("#basin-progress").is_visible()
    page.wait_for_function(
        "() => window.errorscape.basins.grid === 128 && document.getElementById('basin-progress').hidden", timeout=120000
    )
    basins = page.evaluate("() => window.errorscape.basins")
    assert len(basins["basin"]) == 128 * 128
    reached = {b for b in basins["basin"] if b >= 0}
    assert reached == {0, 1, 2, 3}
    page.wait_for_function("() => !window.errorscape.rendering()")
    drawn = page.evaluate("() => document.getElementById('surface-plot').data.map(t => t.name)")
    assert "basins" in drawn
    # A legend: which configuration the map is for, one colour per minimum (none reused), and
    # the colour of "no minimum".
    legend = page.evaluate(
        "() => document.getElementById('surface-plot').data.filter(t => t.meta === 'basins')"
        ".map(t => ({name: t.name, color: t.marker.color}))"
    )
    title, legend = legend[0], legend[1:]
    assert title["name"].startswith("Basins of #1 adam") and title["color"] is None
    assert [e["name"] for e in legend[:4]] == [
        f"ends at ({x:g}, {y:g})" for x, y in ((round(m["point"][0], 2), round(m["point"][1], 2)) for m in basins["minima"])
    ]
    assert legend[-1]["name"] == "no minimum / diverged" and len({e["color"] for e in legend}) == len(legend) == 5
    shot(page, "basin-map")


def test_bad_url_state_falls_back_to_defaults(page, server):
    page.goto(server + "/#" + "%7B%22surface%22%3A%22nope%22%2C%22steps%22%3A1e99%2C%22configs%22%3A%5B%7B%22lr%22%3A%22x%22%7D%5D%7D")
    page.wait_for_function(RUN_DONE, timeout=60000)
    state = page.evaluate("() => window.errorscape.state")
    assert state["surface"] == "narrow_valley" and state["steps"] == 5000 and state["configs"][0]["lr"] == 0.01
    assert page.errors == []  # type: ignore[attr-defined]


def test_three_d_view_and_the_test_surface(page, server):
    goto_state(page, server, {"surface": "sharp_flat", "starts": {"random": 40, "defaults": True}, "configs": [{"lr": 0.1}], "batch": 4})
    assert page.evaluate("() => document.getElementById('show-test').disabled") is False
    page.check("#show-test")
    page.wait_for_function("() => document.getElementById('surface-plot').data.some(t => t.name === 'test loss (dashed)')", timeout=30000)
    overlay = trace(page, "surface-plot", "test loss (dashed)")
    assert overlay["type"] == "contour" and overlay["contours"]["coloring"] == "none"
    shot(page, "test-surface-over-train")
    page.check("input[name=view][value='3d']")
    page.wait_for_function("() => document.getElementById('surface-plot')._fullLayout.scene !== undefined", timeout=30000)
    types = page.evaluate("() => document.getElementById('surface-plot').data.map(t => t.type)")
    assert types.count("surface") == 2 and "scatter3d" in types  # train, test, and the runs
    assert page.locator("#surface-plot canvas").count() >= 1 and no_webgl_message(page)
    assert json.loads(urllib.parse.unquote(page.url.split("#", 1)[1]))["view"] == "3d"
    shot(page, "three-d")
    # A surface without a test set cannot show one.
    new_run(page, lambda: page.select_option("#surface", "rosenbrock"))
    assert page.locator("#show-test").is_disabled()
    assert page.errors == []  # type: ignore[attr-defined]


def test_charts_show_what_the_run_computed(page, server):
    state = {
        "surface": "himmelblau",
        "starts": {"random": 300, "defaults": False},
        "configs": [{"lr": 0.002, "schedule": "cosine", "warmup_steps": 40}, {"lr": 0.01, "momentum": "adam", "sigma": "adam"}],
        "steps": 200,
    }
    goto_state(page, server, state)
    rest = rest_run(page, server)
    grad = np.array(rest["grad_norm"], np.float64)  # [C][T+1][S]
    loss = np.array(rest["loss"], np.float64)
    for c in range(2):
        median = page.evaluate(f"() => document.getElementById('grad-chart').data.filter(t => t.legendgroup === 'gradNorm-{c}')[2].y")
        np.testing.assert_allclose(np.array(median, np.float64), np.median(grad[c], axis=1), rtol=1e-6)
        band = page.evaluate(f"() => document.getElementById('loss-chart').data.filter(t => t.legendgroup === 'loss-{c}').map(t => t.y)")
        np.testing.assert_allclose(np.array(band[0], np.float64), np.quantile(loss[c], 0.1, axis=1), rtol=1e-5)
        np.testing.assert_allclose(np.array(band[1], np.float64), np.quantile(loss[c], 0.9, axis=1), rtol=1e-5)
    # η_t as the engine computes it.
    import jax.numpy as jnp

    from errorscape.surfaces.schedule import SCHEDULES, learning_rate

    lr = page.evaluate("() => document.getElementById('lr-chart').data[0].y")
    t = jnp.arange(200)
    expected = learning_rate(
        t, jnp.float32(0.002), jnp.int32(SCHEDULES.index("cosine")), jnp.float32(0.99), jnp.float32(200), jnp.float32(40)
    )
    np.testing.assert_allclose(lr, np.asarray(expected), rtol=1e-5, atol=1e-9)
    assert lr[0] == pytest.approx(0.002 / 40) and max(lr) == pytest.approx(0.002, rel=1e-3)
    # The end-point chart counts what the Hessian panel would say at each end point: a minimum
    # ratio only where the gradient vanishes (here most starts are still on their way).
    # Rows: Himmelblau's four minima (all at loss 0: the first is named global), then the verdicts.
    from errorscape.surfaces.basins import classify, end_minima
    from errorscape.surfaces.critical import KINDS, point_kinds
    from errorscape.surfaces.registry import get_surface

    page.click("#tab-ratio")
    bars = page.evaluate("() => document.getElementById('ratio-chart').data.map(t => t.x)")
    names = page.evaluate("() => document.getElementById('ratio-chart').data[0].y")
    shares = page.evaluate("() => document.getElementById('ratio-chart').data.map(t => t.text)")
    ends = np.array(rest["positions"], np.float32)[:, -1]
    minima = end_minima("himmelblau", ends)
    # four minima of loss 0: none of them is *the* global one
    assert len(minima) == 4 and all(n.startswith("near minimum (") for n in names[:4])
    kinds = [point_kinds("himmelblau", ends[c]) for c in range(2)]
    counts = [[int((k == i).sum()) for i in range(len(KINDS))] + [int((k < 0).sum())] for k in kinds]
    got = [i for i in range(len(KINDS) + 1) if counts[0][i] or counts[1][i]]  # verdicts no end point got are left out
    verdict_names = [*KINDS, "diverged"]
    assert [n.split(" (")[0].replace(" ", "_") for n in names[len(minima) :]] == [
        {"degenerate": "flat_direction", "not_critical": "still_moving"}.get(verdict_names[i], verdict_names[i]) for i in got
    ]
    for c in range(2):
        which = classify(get_surface("himmelblau"), ends[c], [m for m, _ in minima])
        which[np.isin(kinds[c], [KINDS.index("saddle"), KINDS.index("maximum")])] = -1  # at a saddle: no minimum reached
        assert bars[c][: len(minima)] == [int((which == i).sum()) for i in range(len(minima))]
        assert bars[c][len(minima) :] == [counts[c][i] for i in got]
        assert [s for s in shares[c] if s] == [f"{round(100 * v / 300)} %" for v in bars[c] if v]
    assert sum(counts[1]) == 300 and 0 < counts[1][KINDS.index("not_critical")] < 300
    box = page.locator("#ratio-chart").bounding_box()
    assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"]
    shot(page, "charts")


def test_selecting_a_start_follows_it(page, server):
    goto_state(
        page, server, {"surface": "rosenbrock", "starts": {"random": 5, "defaults": False}, "steps": 120, "configs": [{"lr": 0.001}]}
    )
    point = dot_pixel(page, 0, 3)
    assert layer_pixel(page, point["x"], point["y"])[:3] == [0xF9, 0x73, 0x16]  # the first configuration's orange
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("() => window.errorscape.state.selected !== null && window.errorscape.analysis !== null", timeout=30000)
    assert page.evaluate("() => window.errorscape.state.selected") == {"config": 0, "start": 3}
    rest = rest_run(page, server)
    mine = trace(page, "loss-chart", "selected start")
    np.testing.assert_allclose(mine["y"], np.array(rest["loss"], np.float64)[0, :, 3], rtol=1e-6)
    assert "config 1, start 4" in page.locator("#selected-info").text_content()
    page.wait_for_function("() => !window.errorscape.rendering()")
    ring = page.evaluate("() => window.errorscape.drawn.ring")
    assert ring == [pytest.approx(v) for v in drawn_dots(page, 0)[3].tolist()]
    # The white ring around it, 8 px out (anti-aliased where the plot's margin is a fractional pixel).
    rgba = layer_pixel(page, point["x"] + 8, point["y"])
    assert rgba[:3] == [255, 255, 255] and rgba[3] >= 200, rgba
    # Zoomed in, the layer follows the axes: the dot is where Plotly's axes now put it.
    x, y = drawn_dots(page, 0)[3].tolist()
    page.evaluate(
        f"() => Plotly.relayout('surface-plot', {{'xaxis.range': [{x - 0.4}, {x + 0.6}], 'yaxis.range': [{y - 0.3}, {y + 0.7}]}})"
    )
    page.wait_for_function("() => !window.errorscape.rendering()")
    moved = dot_pixel(page, 0, 3)
    assert moved != point
    assert layer_pixel(page, moved["x"] + 8, moved["y"]) == [255, 255, 255, 255]


def test_playback_keys_step_and_speed(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    page.locator("h1").click()  # focus on the page, not a control
    page.keyboard.press("Home")
    assert page.evaluate("() => window.errorscape.time") == 0
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => window.errorscape.time") == 2 and page.locator("#time-label").text_content() == "2"
    page.click("#step-back")
    assert page.evaluate("() => window.errorscape.time") == 1
    page.select_option("#speed", "4")
    assert page.evaluate("() => window.errorscape.state.speed") == 4
    page.locator("h1").click()
    page.keyboard.press("Space")
    assert page.evaluate("() => window.errorscape.playing") is True
    # At 4× a 300-step run plays in about 38 frames.
    page.wait_for_function("() => !window.errorscape.playing && window.errorscape.time === 300", timeout=30000)
    assert page.evaluate("() => window.errorscape.playback.frames") >= 10
    page.keyboard.press("3")
    assert page.evaluate("() => window.errorscape.state.view") == "3d"
    assert page.errors == []  # type: ignore[attr-defined]


def test_ten_thousand_starts_animate_and_diverged_starts_are_marked(page, server):
    goto_state(
        page,
        server,
        {
            "surface": "narrow_valley",
            "params": {"noise": 0, "kappa": 100},
            "starts": {"random": 10000, "defaults": False},
            "configs": [{"lr": 0.0205}],
            "steps": 100,
            "speed": 4,
        },
    )
    done = page.evaluate("() => window.errorscape.run.divergedAt.flat().filter(d => d >= 0).length")
    # η just above 2/κ: the steep coordinate grows 5 % a step, so starts far out along it blow
    # up within 100 steps and those near the valley floor do not.
    assert 0 < done < 10000
    assert len(drawn_dots(page, 0)) == 10000
    assert len(page.evaluate("() => window.errorscape.drawn.crosses.x")) == done
    assert trace(page, "surface-plot", "diverged")["meta"] == {"diverged": True}  # its legend entry
    page.click("#play")
    page.wait_for_function("() => !window.errorscape.playing && !window.errorscape.rendering()", timeout=180000)
    assert page.evaluate("() => window.errorscape.playback.frames") > 0
    shot(page, "ten-thousand")
    assert page.errors == []  # type: ignore[attr-defined]


def test_exports_png_and_webm(page, server):
    goto_state(page, server, {"surface": "saddle", "starts": {"random": 20, "defaults": True}, "steps": 60})
    with page.expect_download(timeout=60000) as png:
        page.click("#export-png")
    data = Path(png.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and png.value.suggested_filename.endswith(".png")
    # At twice the size, with the canvas layer's dots in it: the centre of a dot is its colour.
    pixel = page.evaluate(
        """async (b64) => { const img = new Image(); img.src = 'data:image/png;base64,' + b64; await img.decode();
        const gd = document.getElementById('surface-plot'); const L = gd._fullLayout;
        const d = window.errorscape.drawn.configs[0].dots;
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        const x = Math.round(2 * (L._size.l + L.xaxis.l2p(d.x[5]))); const y = Math.round(2 * (L._size.t + L.yaxis.l2p(d.y[5])));
        const rgba = Array.from(ctx.getImageData(x, y, 1, 1).data);
        return {size: [img.width, img.height, L.width, L.height], rgba}; }""",
        base64.b64encode(data).decode(),
    )
    # twice the plot's size (a flex layout gives the plot fractional pixels; the image has whole ones)
    assert abs(pixel["size"][0] - 2 * pixel["size"][2]) <= 1 and abs(pixel["size"][1] - 2 * pixel["size"][3]) <= 1
    assert pixel["rgba"] == [0xF9, 0x73, 0x16, 255]
    with page.expect_download(timeout=120000) as webm:
        page.click("#export-webm")
    data = Path(webm.value.path()).read_bytes()
    assert data[:4] == bytes([0x1A, 0x45, 0xDF, 0xA3]) and len(data) > 10_000  # EBML (WebM) header
    # The video holds the picture and the loss chart under it: its frame height (EBML element
    # PixelHeight, 0xBA, two bytes) is the plot's and the chart's together.
    video = page.evaluate("() => window.errorscape.lastVideo")
    plot_height = page.evaluate("() => document.getElementById('surface-plot')._fullLayout.height") // 2 * 2
    assert video["parts"] == ["surface", "loss"] and video["height"] > plot_height
    at = data.find(b"\xba\x82")
    assert at > 0 and int.from_bytes(data[at + 2 : at + 4], "big") == video["height"]
    assert webm.value.suggested_filename.endswith(".webm")
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_first_visit_screenshots_are_written_by_this_run(page, server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    path = shot(page, f"first-visit-{width}x{height}")
    # PNG's IHDR holds the image's size: the picture is of this viewport.
    header = path.read_bytes()[16:24]
    assert (int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")) == (width, height)


def in_view(page: Page, selector: str) -> bool:
    """Whether an element is shown whole inside the viewport (no scrolling needed)."""
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert size is not None
    return (
        box is not None
        and box["width"] > 0
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"] + 0.5
        and box["y"] + box["height"] <= size["height"] + 0.5
    )


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_walking_every_scene_of_every_lesson(page, server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    lessons = page.evaluate("() => window.errorscape.lessons.filter((l) => !l.scenes[0].lab)")  # the surfaces' lessons
    assert [entry["id"] for entry in lessons] == [entry["id"] for entry in LESSONS]
    assert page.locator("#lesson-text").is_hidden()
    for i, entry in enumerate(lessons):
        for k, scene in enumerate(entry["scenes"]):
            new_run(page, lambda: page.click("#lesson-next"))
            assert page.evaluate("() => window.errorscape.lesson") == {"lesson": i, "scene": k}
            assert page.locator("#scene-text").text_content() == scene["text"]["en"]
            assert page.locator("#lesson-claim").text_content() == entry["claim"]["en"]
            assert page.locator("#lesson-progress").text_content() == f"{k + 1} / {len(entry['scenes'])}"
            # What the page runs is what tests/test_lessons.py checked the claim on.
            body = page.evaluate(
                "async () => { const m = await import('/js/state.js'); const a = window.errorscape;"
                " return m.runRequest(a.state, a.surfaces.find(s => s.name === a.state.surface)); }"
            )
            assert body == json.loads(json.dumps(scene_request(scene))), (entry["id"], scene["id"])
            if scene["analyze"]:
                page.wait_for_function("() => document.getElementById('analysis').dataset.kind !== ''", timeout=30000)
                assert page.evaluate("() => window.errorscape.analysisPoint") == scene["analyze"]
            if scene["chart"] == "timing":
                page.wait_for_function("() => (document.getElementById('timing-chart').data || []).length === 2", timeout=60000)
            # One screen: the picture, the loss chart, the chart the scene talks about and its text,
            # all in view without scrolling; the other charts a tab away.
            chart = f"#{scene['chart']}-chart"
            for selector in ("#surface-plot", "#loss-chart", chart, "#lesson-text", "#play"):
                assert in_view(page, selector), (width, entry["id"], scene["id"], selector)
            assert page.locator(f"#tab-{scene['chart']}").get_attribute("aria-selected") == "true"
            for other in {"grad", "lr", "ratio", "timing"} - {scene["chart"]}:
                assert page.locator(f"#{other}-chart").is_hidden()
            assert page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight + 1")
            # Every critical-point marker stands where the gradient vanishes, for the scene's parameters.
            marker = trace(page, "surface-plot", "critical points")
            if marker and scene["state"]["surface"] != "custom":
                for x, y in zip(marker["x"], marker["y"], strict=True):
                    at = analyze(scene["state"]["surface"], [x, y], scene["state"].get("params") or None)
                    assert np.linalg.norm(at.gradient) < 1e-3, (entry["id"], scene["id"], x, y)
            shot(page, f"scene-{width}x{height}-{entry['id']}-{scene['id']}")
    if width != 1920:
        return
    # After the surfaces' lessons come the network lab's (tests/browser/test_lab.py walks them).
    assert page.locator("#lesson-select option").count() == 1 + len(LESSONS) + len(NET_LESSONS)
    # The language switch reaches the lesson text.
    page.select_option("#language", "zh-TW")
    assert page.locator("#scene-text").text_content() == lessons[-1]["scenes"][-1]["text"]["zh-TW"]
    # The guide's branches lead to their lessons.
    page.click("#guide-open")
    assert page.locator("#guide").is_visible()
    shot(page, "guide")
    new_run(page, lambda: page.click("#guide button[data-lesson='batch-size'] >> nth=0"))
    assert page.locator("#guide").is_hidden()
    assert page.evaluate("() => window.errorscape.lesson") == {"lesson": 6, "scene": 0}
    assert page.errors == []  # type: ignore[attr-defined]


def grid_of(server: str, name: str, **params: float) -> dict:
    query = urllib.parse.urlencode({"n": 121, **params})
    with urllib.request.urlopen(f"{server}/api/surfaces/{name}/grid?{query}", timeout=60) as response:
        return json.loads(response.read())


def test_what_the_page_draws_is_true(page, server):
    # Markers where the gradient vanishes for the current parameters, not the defaults'.
    goto_state(
        page, server, {"surface": "feature_scale", "params": {"normalize": 1}, "starts": {"defaults": True}, "configs": [{"lr": 0.1}]}
    )
    marker = trace(page, "surface-plot", "critical points")
    expected = grid_of(server, "feature_scale", normalize=1)["critical_points"]
    np.testing.assert_allclose([marker["x"][0], marker["y"][0]], expected[0]["point"], atol=1e-6)
    from errorscape.surfaces.critical import analyze

    assert np.linalg.norm(analyze("feature_scale", expected[0]["point"], {"normalize": 1.0}).gradient) < 1e-3
    # No cloud link in an offline app's mode bar.
    assert page.evaluate("() => document.getElementById('surface-plot')._context.showSendToCloud") is False
    titles = page.evaluate("() => Array.from(document.querySelectorAll('#surface-plot .modebar-btn')).map(b => b.dataset.title)")
    assert titles and not [t for t in titles if "Cloud" in t or "Chart Studio" in t or "plotly" in t.lower()], titles
    # A start exactly at the minimum: losses of 0 keep the loss chart logarithmic.
    goto_state(
        page,
        server,
        {
            "surface": "narrow_valley",
            "params": {"noise": 0},
            "starts": {"clicks": [[0, 0], [1, 1]], "defaults": False},
            "configs": [{"lr": 0.01}],
        },
    )
    assert page.evaluate("() => document.getElementById('loss-chart')._fullLayout.yaxis.type") == "log"
    assert page.evaluate("() => document.getElementById('grad-chart')._fullLayout.yaxis.type") == "log"
    # The 3-D view's height is the loss itself.
    page.check("input[name=view][value='3d']")
    page.wait_for_function("() => document.getElementById('surface-plot')._fullLayout.scene !== undefined", timeout=30000)
    z = page.evaluate("() => document.getElementById('surface-plot').data.find(t => t.type === 'surface').z")
    loss = grid_of(server, "narrow_valley", noise=0)["z"]
    np.testing.assert_allclose(np.array(z, np.float64), np.array(loss, np.float64), rtol=1e-6)
    # Space on a radio button selects it; it does not start playback.
    page.focus("input[name=view][value='contour']")
    page.keyboard.press("Space")
    assert page.evaluate("() => window.errorscape.playing") is False
    assert page.evaluate("() => document.querySelector(\"input[name=view][value='contour']\").checked") is True
    # The status line is re-worded when the language changes.
    page.select_option("#language", "zh-CN")
    page.wait_for_function("() => document.getElementById('status').textContent.startsWith('完成')", timeout=10000)
    page.select_option("#language", "en")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_zero_eigenvalue_is_drawn_as_a_flat_direction(page, server):
    # (1, 1) on two_weight_net: eigenvalues 0 and 4, the verdict "degenerate".
    goto_state(page, server, {"surface": "two_weight_net", "starts": {"defaults": True}, "configs": [{"lr": 0.1}]})
    page.fill("#point-x", "1")
    page.fill("#point-y", "1")
    page.click("#analyze-point")
    page.wait_for_function("() => document.getElementById('analysis').dataset.kind === 'degenerate'", timeout=30000)
    page.wait_for_function(
        "() => document.getElementById('surface-plot').data.filter(t => t.line && t.line.width === 4).length === 2", timeout=30000
    )
    colors = page.evaluate(
        "() => document.getElementById('surface-plot').data.filter(t => t.line && t.line.width === 4).map(t => t.line.color)"
    )
    palette = page.evaluate("async () => (await import('/js/palette.js')).EIGEN_COLORS")
    assert sorted(colors) == sorted([palette["0"], palette["1"]])
    assert page.evaluate("() => document.getElementById('point-x').value") == "1"


def test_a_reload_keeps_the_lesson_and_scene(page, server):
    page.goto(server + "/")
    page.wait_for_function(RUN_DONE, timeout=60000)
    new_run(page, lambda: page.click("#lesson-next"))
    new_run(page, lambda: page.click("#lesson-next"))
    assert page.evaluate("() => window.errorscape.lesson") == {"lesson": 0, "scene": 1}
    mark = json.loads(urllib.parse.unquote(page.url.split("#", 1)[1]))["lesson"]
    assert mark == {"lesson": LESSONS[0]["id"], "scene": LESSONS[0]["scenes"][1]["id"]}
    text = page.locator("#scene-text").text_content()
    page.reload()
    page.wait_for_function(RUN_DONE, timeout=60000)
    assert page.evaluate("() => window.errorscape.lesson") == {"lesson": 0, "scene": 1}
    assert page.locator("#scene-text").text_content() == text and page.locator("#lesson-text").is_visible()
    # The scene's Hessian panel comes back with it.
    page.wait_for_function("() => document.getElementById('analysis').dataset.kind === 'degenerate'", timeout=30000)
    # Leaving the lessons drops the mark.
    page.select_option("#lesson-select", "")
    assert json.loads(urllib.parse.unquote(page.url.split("#", 1)[1]))["lesson"] is None


def test_a_long_run_shows_its_progress_and_stops(page, server):
    # 10,000 starts × 5,000 minibatch steps: long enough to watch, and to stop.
    state = {
        "surface": "narrow_valley",
        "starts": {"random": 10000, "defaults": False},
        "steps": 5000,
        "batch": 1,
        "configs": [{"lr": 0.01}],
    }
    page.goto(server + "/#" + urllib.parse.quote(json.dumps(state)))
    page.wait_for_function(
        "() => /step \\d+ of 5000, about \\S+ s left/.test(document.getElementById('status').textContent)", timeout=60000
    )
    assert page.locator("#stop").is_enabled()
    page.click("#stop")
    page.wait_for_function("() => document.getElementById('status').textContent.startsWith('stopped at step')", timeout=30000)
    stopped = int(page.locator("#status").text_content().split("step ")[1].split(" ")[0])
    assert 0 < stopped < 5000 and page.locator("#stop").is_disabled()
    deadline = time.monotonic() + 20
    while json.loads(urllib.request.urlopen(server + "/api/health", timeout=10).read())["in_flight"] > 0:
        assert time.monotonic() < deadline, "the server kept computing the stopped run"
        time.sleep(0.2)
    assert page.errors == []  # type: ignore[attr-defined]
