"""The registered surfaces: names, records, and golden values of their losses."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from errorscape import surfaces
from errorscape.surfaces import critical
from errorscape.surfaces.problem import data_arrays, loss_functions, make_env, resolve_params
from errorscape.surfaces.registry import LANGUAGES
from tests import numpy_reference as ref

NAMES = (
    "narrow_valley",
    "two_weight_net",
    "saddle",
    "sharp_flat",
    "mse_softmax",
    "ce_softmax",
    "feature_scale",
    "bumpy",
    "rosenbrock",
    "himmelblau",
)


def full_loss(name: str, theta, params=None, data_seed: int = 0):
    s = surfaces.get_surface(name)
    full, _, test = loss_functions(s)
    env = make_env(s, resolve_params(s, params), data_seed)
    return float(full(jnp.asarray(theta, jnp.float32), env)), env, full, test


def test_every_named_surface_is_registered():
    assert set(surfaces.surface_names()) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_record_is_complete(name):
    s = surfaces.get_surface(name)
    for lang in LANGUAGES:
        assert s.titles[lang].strip() and s.descriptions[lang].strip()
    (x0, x1), (y0, y1) = s.domain
    assert x0 < x1 and y0 < y1
    for p in s.params:
        assert p.minimum <= p.default <= p.maximum
    for start in s.default_starts:
        assert x0 <= start[0] <= x1 and y0 <= start[1] <= y1
    assert s.lecture
    train = s.data(0).train
    assert train.shape[0] & (train.shape[0] - 1) == 0, "data set size must be a power of two"
    assert s.data(0) is s.data(0), "data sets are generated once per seed"
    np.testing.assert_array_equal(s.make_data(np.random.default_rng(0))[0], s.make_data(np.random.default_rng(0))[0])


def test_unknown_surface_names_the_field():
    with pytest.raises(ValueError, match="surface: unknown surface 'nope'"):
        surfaces.get_surface("nope")


@pytest.mark.parametrize(
    ("name", "formula"),
    [
        ("rosenbrock", ref.rosenbrock),
        ("himmelblau", ref.himmelblau),
        ("saddle", ref.saddle),
        ("narrow_valley", ref.valley(surfaces.get_surface("narrow_valley").param_defaults()["kappa"])),
    ],
)
def test_full_batch_surface_is_exactly_the_formula(name, formula):
    rng = np.random.default_rng(1)
    s = surfaces.get_surface(name)
    (x0, x1), (y0, y1) = s.domain
    for p in rng.uniform([x0, y0], [x1, y1], size=(20, 2)).astype(np.float32):
        got, *_ = full_loss(name, p)
        want = formula(p.astype(np.float64))[0]
        assert got == pytest.approx(want, rel=2e-6, abs=1e-5)


def test_rosenbrock_and_himmelblau_minima_are_zero():
    assert full_loss("rosenbrock", [1.0, 1.0])[0] == 0.0
    for p in [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]:
        assert full_loss("himmelblau", p)[0] == pytest.approx(0.0, abs=1e-4)


def test_two_weight_net_origin_is_the_lectures_saddle():
    a = critical.analyze("two_weight_net", [0.0, 0.0])
    np.testing.assert_allclose(a.hessian, [[0.0, -2.0], [-2.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(a.eigenvalues, [-2.0, 2.0], atol=1e-6)
    assert a.kind == "saddle"
    assert a.loss == pytest.approx(1.0)
    # The minima lie on w1·w2 = 1.
    for w1 in (0.5, 1.0, 2.0, -1.25):
        assert full_loss("two_weight_net", [w1, 1.0 / w1])[0] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("kappa", [1.0, 10.0, 100.0, 1000.0])
def test_narrow_valley_kappa_is_the_condition_number(kappa):
    a = critical.analyze("narrow_valley", [0.3, -0.2], {"kappa": kappa})
    assert a.eigenvalues[1] / a.eigenvalues[0] == pytest.approx(kappa, rel=1e-5)


def test_feature_normalisation_turns_the_valley_round():
    raw = critical.known_critical_points("feature_scale", {"normalize": 0.0})[0]
    norm = critical.known_critical_points("feature_scale", {"normalize": 1.0})[0]
    cond_raw = raw.eigenvalues[1] / raw.eigenvalues[0]
    cond_norm = norm.eigenvalues[1] / norm.eigenvalues[0]
    # Feature scales 1 and 10 give curvatures about 1 and 100; standardised, both about 1.
    assert cond_raw > 50
    assert cond_norm < 2
    assert raw.kind == norm.kind == "minimum"


def test_sharp_minimum_suffers_more_from_the_shifted_test_set():
    minima = [m for m in critical.known_critical_points("sharp_flat") if m.kind == "minimum"]
    sharp, flat = sorted(minima, key=lambda m: m.point[0])
    assert sharp.eigenvalues.max() > 5 * flat.eigenvalues.max(), "the left minimum must be the sharp one"
    rises = []
    for m in (sharp, flat):
        train, env, _, test = full_loss("sharp_flat", m.point)
        rises.append(float(test(jnp.asarray(m.point), env)) - train)
    # The lecture's picture: a small train/test shift costs the sharp minimum far more.
    assert rises[0] > 5 * rises[1] > 0


def test_mse_is_a_plateau_where_cross_entropy_has_slope():
    point = [-8.0, 8.0]
    mse = np.linalg.norm(critical.analyze("mse_softmax", point).gradient)
    ce = np.linalg.norm(critical.analyze("ce_softmax", point).gradient)
    assert mse < 1e-5
    assert ce > 0.5


def test_noise_examples_average_to_the_exact_surface():
    for name in ("narrow_valley", "saddle", "bumpy", "rosenbrock", "himmelblau"):
        _, full, _ = data_arrays(surfaces.get_surface(name), 0)
        assert np.abs(full).max() < 1e-6


@pytest.mark.parametrize("name", [n for n in NAMES if surfaces.get_surface(n).reduced_loss is not None])
@given(
    theta=st.tuples(st.floats(-3, 3), st.floats(-3, 3)),
    rows=st.lists(st.integers(0, 63), min_size=1, max_size=16),
    param_frac=st.floats(0, 1),
)
def test_closed_form_batch_loss_equals_the_mean_of_per_example_losses(name, theta, rows, param_frac):
    s = surfaces.get_surface(name)
    params = {p.name: p.minimum + param_frac * (p.maximum - p.minimum) for p in s.params}
    env = make_env(s, resolve_params(s, params), 0)
    train = s.data(0).train.astype(np.float32)
    idx = np.asarray(rows) % train.shape[0]
    th = jnp.asarray(theta, jnp.float32)
    per_example = jnp.mean(jax.vmap(lambda e: s.example_loss(th, e, env.params))(train[idx]))
    _, batch, _ = loss_functions(s)
    weights = np.full(len(idx), 1.0 / len(idx), np.float32)
    closed = batch(th, env.table[idx], weights, env)
    scale = max(1.0, abs(float(per_example)))
    assert float(closed) == pytest.approx(float(per_example), abs=2e-4 * scale)


def test_known_critical_points_are_critical_and_of_their_declared_kind():
    for name in NAMES:
        s = surfaces.get_surface(name)
        found = critical.known_critical_points(name)
        assert len(found) == len(s.critical_points), name
        for f, declared in zip(found, s.critical_points, strict=True):
            a = critical.analyze(name, f.point)
            assert np.linalg.norm(a.gradient) <= critical.GRAD_TOL
            # A curve of minima (two_weight_net) is degenerate to the second-order test.
            assert a.kind == declared.kind or (declared.kind == "minimum" and a.kind == "degenerate"), (name, a.kind)
