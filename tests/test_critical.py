"""Hessian analysis: verdicts, escape directions, the minimum ratio, the critical-point search
and basin maps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from errorscape import surfaces
from errorscape.surfaces import basins, critical
from errorscape.surfaces.critical import KINDS, known_critical_points, point_kinds, verdict, verdicts


@pytest.mark.parametrize(
    ("gradient", "eigenvalues", "kind"),
    [
        ([0.0, 0.0], [1.0, 3.0], "minimum"),
        ([0.0, 0.0], [-3.0, -1.0], "maximum"),
        ([0.0, 0.0], [-2.0, 2.0], "saddle"),
        ([0.0, 0.0], [0.0, 4.0], "degenerate"),
        ([0.0, 0.0], [0.0, 0.0], "degenerate"),
        ([0.0, 0.0], [-1e-7, 4.0], "degenerate"),
        ([0.1, 0.0], [1.0, 3.0], "not_critical"),
        ([np.nan, 0.0], [1.0, 3.0], "not_critical"),
    ],
)
def test_verdict_table(gradient, eigenvalues, kind):
    assert critical.verdict(np.array(gradient), np.array(eigenvalues)) == kind


def test_analysis_at_the_saddle_gives_the_escape_direction():
    a = critical.analyze("saddle", [0.0, 0.0])
    assert a.kind == "saddle"
    np.testing.assert_allclose(a.eigenvalues, [-2.0, 2.0], atol=1e-5)
    np.testing.assert_allclose(np.abs(a.escape_direction), [0.0, 1.0], atol=1e-6)
    h = a.hessian
    for i in range(2):
        np.testing.assert_allclose(h @ a.eigenvectors[:, i], a.eigenvalues[i] * a.eigenvectors[:, i], atol=1e-5)
    assert critical.analyze("saddle", [0.0, np.sqrt(2.0)]).escape_direction is None


def test_escaping_along_the_negative_eigenvector_then_descending_reaches_a_minimum():
    a = critical.analyze("two_weight_net", [0.0, 0.0])
    assert a.escape_direction is not None
    stuck = surfaces.simulate("two_weight_net", surfaces.preset("sgd", lr=0.1), np.zeros((1, 2)), 200)
    np.testing.assert_array_equal(stuck.positions[0, -1, 0], [0.0, 0.0])
    nudged = 0.05 * a.escape_direction
    r = surfaces.simulate("two_weight_net", surfaces.preset("sgd", lr=0.1), nudged[None], 200)
    end = r.positions[0, -1, 0]
    assert critical.analyze("two_weight_net", end).kind in ("minimum", "degenerate")
    assert end[0] * end[1] == pytest.approx(1.0, abs=1e-3)


def test_analysis_rejects_bad_points():
    for bad in ([0.0], [0.0, float("nan")], "x", [[0.0, 0.0]]):
        with pytest.raises(ValueError, match=r"^point"):
            critical.analyze("saddle", bad)


def test_minimum_ratio_of_himmelblau_points():
    points = [[3.0, 2.0], [-0.270845, -0.923039], [0.086678, 2.884255], [np.nan, 0.0]]
    ratios = critical.minimum_ratio("himmelblau", points)
    np.testing.assert_array_equal(ratios[:3], [1.0, 0.0, 0.5])
    assert np.isnan(ratios[3])


def test_search_finds_all_nine_critical_points_of_himmelblau():
    found = critical.find_critical_points("himmelblau", grid=24)
    kinds = sorted(f.kind for f in found)
    assert kinds == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4
    declared = surfaces.get_surface("himmelblau").critical_points
    for c in declared:
        nearest = min(found, key=lambda f: np.linalg.norm(f.point - np.array(c.point)))
        assert np.linalg.norm(nearest.point - np.array(c.point)) < 1e-3
        assert nearest.kind == c.kind


def test_basin_map_of_himmelblau_covers_all_four_minima():
    m = basins.basin_map("himmelblau", surfaces.preset("adam", lr=0.05), grid=40, steps=400)
    assert len(m.minima) == 4
    assert m.basin.shape == (1600,)
    counts = np.bincount(m.basin[m.basin >= 0], minlength=4)
    assert (counts > 100).all(), counts
    reached = m.basin >= 0
    assert np.nanmax(m.final_loss[reached]) < 1e-3
    # The start nearest each minimum ends in that minimum.
    for i, minimum in enumerate(m.minima):
        nearest = np.argmin(np.linalg.norm(m.starts - minimum.point, axis=1))
        assert m.basin[nearest] == i


def test_classify_leaves_far_and_diverged_ends_unassigned():
    s = surfaces.get_surface("himmelblau")
    minima = [m for m in critical.known_critical_points(s) if m.kind == "minimum"]
    ends = np.array([[3.0, 2.0], [0.0, 0.0], [np.nan, np.nan], [3.01, 2.02]], np.float32)
    got = basins.classify(s, ends, minima)
    assert got[0] == got[3] >= 0 and np.allclose(minima[got[0]].point, [3.0, 2.0], atol=1e-3)
    assert got[1] == got[2] == -1


@pytest.mark.parametrize("name", ["himmelblau", "bumpy", "rosenbrock"])
def test_classify_matches_a_loop_over_starts_and_minima(name):
    s = surfaces.get_surface(name)
    minima = [m for m in critical.known_critical_points(s) if m.kind == "minimum"]
    (x0, x1), (y0, y1) = s.domain
    rng = np.random.default_rng(11)
    centres = np.stack([m.point for m in minima]).astype(np.float32)
    near = centres[rng.integers(0, len(minima), 300)] + rng.normal(0, s.basin_radius, (300, 2))
    # Random ends, ends near each minimum (some inside its radius, some out), the midpoint of two
    # minima (a tie: the first wins), and ends that are not finite.
    ends = np.concatenate(
        [
            np.stack([rng.uniform(x0, x1, 500), rng.uniform(y0, y1, 500)], 1),
            near,
            (centres[:1] + centres[-1:]) / 2,
            [[np.nan, 0.0], [np.inf, 1.0], [0.0, -np.inf]],
        ]
    ).astype(np.float32)
    want = []
    for x, y in ends:
        if not (np.isfinite(x) and np.isfinite(y)):
            want.append(-1)
            continue
        d = [np.sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) for cx, cy in centres]  # float32, as the ends
        i = int(np.argmin(d))
        want.append(i if d[i] <= s.basin_radius else -1)
    got = basins.classify(s, ends, minima)
    np.testing.assert_array_equal(got, np.array(want, np.int32))
    assert 0 < (got >= 0).sum() < len(ends)


# --- what a person sees: markers and end-point verdicts ------------------------------------------


def _param_settings(surface):
    """Defaults, then each parameter at its lowest and highest value."""
    yield {}
    for p in surface.params:
        yield {p.name: p.minimum}
        yield {p.name: p.maximum}


@pytest.mark.parametrize("name", surfaces.surface_names())
def test_every_marker_stands_where_the_gradient_vanishes_for_the_current_parameters(name):
    s = surfaces.get_surface(name)
    for params in _param_settings(s):
        for p in known_critical_points(s, params):
            a = critical.analyze(s, p.point, params)
            assert np.linalg.norm(a.gradient) <= critical.GRAD_TOL, (name, params, p.point, a.gradient)


def test_feature_scale_marker_follows_normalisation():
    raw = known_critical_points("feature_scale", {"normalize": 0.0})
    norm = known_critical_points("feature_scale", {"normalize": 1.0})
    assert len(raw) == len(norm) == 1 and np.linalg.norm(np.asarray(raw[0].point) - np.asarray(norm[0].point)) > 1.0


finite = st.floats(-10, 10, allow_nan=False, width=32)


@given(st.lists(st.tuples(finite, finite, finite, finite), min_size=1, max_size=20))
def test_vectorised_verdicts_equal_the_one_point_verdict(rows):
    arr = np.asarray(rows, np.float64)
    g, w = arr[:, :2] * 1e-3, np.sort(arr[:, 2:], axis=1)  # gradients near the tolerance
    assert [KINDS[k] for k in verdicts(g, w)] == [verdict(g[i], w[i]) for i in range(len(rows))]


def test_end_point_kinds_tell_a_flat_minimum_and_an_unfinished_run_apart():
    # two_weight_net: (1, 1) is on the curve of minima (an eigenvalue 0: degenerate), the origin
    # a saddle, (0.5, 0.3) not critical; a diverged end is −1.
    kinds = point_kinds("two_weight_net", np.array([[1, 1], [0, 0], [0.5, 0.3], [np.nan, np.nan]], np.float32))
    assert [KINDS[k] if k >= 0 else "diverged" for k in kinds] == ["degenerate", "saddle", "not_critical", "diverged"]


def test_end_minima_count_who_reached_which_minimum_and_name_the_global_one():
    import numpy as np

    from errorscape.surfaces.basins import end_minima, is_global

    # bumpy bowl: the origin is the one global minimum; two configurations' end points
    ends = np.array([[[0.01, 0.0], [2.0, 0.02], [3.0, 3.0]], [[0.0, 0.0], [0.05, -0.02], [np.nan, np.nan]]], np.float32)
    found = end_minima("bumpy", ends)
    points = [m for m, _ in found]
    assert np.allclose(points[0].point, [0, 0], atol=1e-3) and is_global(points, 0)
    assert not any(is_global(points, i) for i in range(1, len(points)))
    assert found[0][1] == [1, 2]  # the origin: one end of the first configuration, two of the second
    at_two = next(reached for m, reached in found if np.allclose(m.point, [2.0, 0.0], atol=0.01))
    assert at_two == [1, 0]
    assert sum(sum(r) for _, r in found) == 4  # (3, 3) is no minimum's and the diverged end none's
    assert not any(is_global([m for m, _ in end_minima("himmelblau", ends)], i) for i in range(4))
    # the two-weight network's saddle lies within the basin radius of (1, 1): stuck there is not reached
    net = end_minima("two_weight_net", np.array([[[0.0, 0.0], [1.0, 1.0]]], np.float32))
    assert [reached for _, reached in net] == [[1], [0]]
