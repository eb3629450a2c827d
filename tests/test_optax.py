"""optax's optimizers in the engine: equal to a plain optax loop, traced hyperparameters,
static values in a bounded compile cache, and compare mode beside the lecture's rule."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from bench import optax_forms
from errorscape import surfaces
from errorscape.surfaces import kernels, rules
from errorscape.surfaces.optax_rules import OPTAX_NAMES, OPTAX_RULES, optax_config, per_start, static_arguments
from errorscape.surfaces.problem import loss_functions, make_env, resolve_params

REQUIRED = (
    "adamw",
    "lion",
    "adabelief",
    "radam",
    "nadam",
    "adamax",
    "amsgrad",
    "yogi",
    "lamb",
    "novograd",
    "sm3",
    "adafactor",
    "noisy_sgd",
)
STARTS = np.array([[-1.2, 1.0], [0.5, -0.4], [1.5, 2.0]], np.float32)
STEPS = 40


def test_every_required_optimizer_is_offered():
    assert set(REQUIRED) <= set(OPTAX_NAMES)


def _reference(name: str, hyper: dict, static: dict, surface: str = "rosenbrock") -> np.ndarray:
    """A plain Python loop over steps with the optax factory called directly (no injection):
    full-batch gradients by reverse mode, one start at a time."""
    s = surfaces.get_surface(surface)
    full, _, _ = loss_functions(s)
    env = make_env(s, resolve_params(s, None), 0)
    grad = jax.jit(jax.grad(lambda th: full(th, env)))
    rule = OPTAX_RULES[name]
    out = []
    for i, start in enumerate(STARTS):
        tx = rule.factory(**static_arguments(name, tuple(static.items())), **hyper)
        theta = jnp.asarray(start)
        state = per_start(tx.init(theta), jnp.uint32(i))
        path = [np.asarray(theta)]
        for _ in range(STEPS):
            updates, state = tx.update(grad(theta), state, theta)
            theta = optax.apply_updates(theta, updates)
            path.append(np.asarray(theta))
        out.append(np.stack(path))
    return np.stack(out, axis=1)  # [T+1, S, 2]


@pytest.mark.parametrize("name", REQUIRED)
def test_engine_equals_a_plain_optax_loop(name):
    config = optax_config(name)
    hyper = dict(config.hyper)
    if "learning_rate" in hyper:
        # small enough that no start diverges on rosenbrock (plain SGD needs a smaller one)
        hyper["learning_rate"] = 3e-4 if name == "noisy_sgd" else 0.003
    config = optax_config(name, hyper)
    r = surfaces.simulate("rosenbrock", [config], starts=STARTS, steps=STEPS)
    assert (r.diverged_at == -1).all()
    want = _reference(name, dict(config.hyper), dict(config.static))
    np.testing.assert_allclose(r.positions[0], want, rtol=2e-4, atol=2e-5)


def test_coordinates_as_parameters_and_the_engines_step_count_change_no_bit():
    # Rosenbrock from starts where some diverge at a large rate: bias corrections read the
    # count from the first step on, so a count off by one changes every early step's bits.
    starts = np.array([[-1.2, 1.0], [0.5, -0.4], [1.5, 2.0], [2.0, -1.0]], np.float32)
    # Marked per coordinate or not; with a bias correction, a rectification, a count in a
    # factored state or the noise's decay: every way a rule reads its count.
    names = ("adamw", "lion", "radam", "amsgrad", "lamb", "adafactor", "noisy_sgd")
    specs = [{"optax": name, "hyper": {"learning_rate": 0.02}} for name in names] + [{"optax": "adamw", "hyper": {"learning_rate": 0.5}}]
    try:
        optax_forms.use("optax")  # as optax runs them by itself: θ one vector, a count per start
        vector = surfaces.simulate("rosenbrock", specs, starts=starts, steps=STEPS)
        vector_final = surfaces.simulate_final("rosenbrock", specs, starts=starts, steps=STEPS)
    finally:
        optax_forms.use("lean")
    engine = surfaces.simulate("rosenbrock", specs, starts=starts, steps=STEPS)
    engine_final = surfaces.simulate_final("rosenbrock", specs, starts=starts, steps=STEPS)
    assert (vector.diverged_at >= 0).any() and (vector.diverged_at < 0).any()
    for got, want in ((engine, vector), (engine_final, vector_final)):
        np.testing.assert_array_equal(got.positions, want.positions)
        np.testing.assert_array_equal(got.diverged_at, want.diverged_at)
    kernels.clear_compiled()


def test_rules_marked_per_coordinate_treat_each_coordinate_alone(monkeypatch):
    # The mark lets the engine hand θ over as two parameters: for a marked rule the engine's
    # update of θ as a vector and as a pair give the same bits, step after step, from random
    # states.  Rules with a norm or a per-tensor statistic are not marked, and this test tells
    # them apart.  Both forms run batched as in the engine: vmapped over starts and over
    # configurations, one step jitted, the step count shared by all points (XLA turns a
    # division by a broadcast value into a product with its reciprocal, so how a divisor is
    # shared is part of the bits).
    rng = np.random.default_rng(0)
    thetas = jnp.asarray(rng.normal(size=(6, 2, 256, 2)), jnp.float32)  # [step, config, start, coordinate]
    grads = jnp.asarray(rng.normal(size=(6, 2, 256, 2)) * np.array([1e-3, 30.0]), jnp.float32)
    ids = jnp.arange(256, dtype=jnp.uint32)
    differs = set()
    for name in OPTAX_NAMES:
        config = optax_config(name)
        hp = rules.optax_rule(name, config.static).stack([config.hyperparams(), optax_config(name, {"learning_rate": 0.3}).hyperparams()])

        def updates(per_coordinate, name=name, static=config.static, hp=hp):
            monkeypatch.setitem(OPTAX_RULES, name, dataclasses.replace(OPTAX_RULES[name], per_coordinate=per_coordinate))
            rule = rules.optax_rule(name, static)
            over_starts = jax.vmap(rule.point_update, in_axes=(0, 0, 0, None, None, None))
            step = jax.jit(jax.vmap(over_starts, in_axes=(0, 0, 0, None, None, 0)))
            init = jax.vmap(jax.vmap(rule.point_init, in_axes=(0, 0, None)), in_axes=(0, None, 0))
            state = init((thetas[0, ..., 0], thetas[0, ..., 1]), ids, hp)
            out = []
            for k, (theta, g) in enumerate(zip(thetas, grads, strict=True)):
                u, state = step((g[..., 0], g[..., 1]), state, (theta[..., 0], theta[..., 1]), jnp.int32(k), (), hp)
                out.append(jnp.stack(u, axis=-1))
            return np.stack(out)

        vector = updates(False)
        try:
            same = np.array_equal(vector, updates(True))
        except (IndexError, ValueError, TypeError):  # SM3 keeps a statistic per axis: a scalar has none
            same = False
        monkeypatch.undo()
        if OPTAX_RULES[name].per_coordinate:
            assert same, name
        elif not same:
            differs.add(name)
    assert {"lamb", "novograd", "adafactor"} <= differs


def test_lion_steps_have_size_eta_per_coordinate():
    # Lion's update is η·sign(·): from a generic start every coordinate moves exactly η (no weight decay).
    r = surfaces.simulate(
        "narrow_valley", [{"optax": "lion", "hyper": {"learning_rate": 0.05, "weight_decay": 0.0}}], starts=[[3.0, 1.0]], steps=5
    )
    steps = np.abs(np.diff(r.positions[0, :, 0], axis=0))
    np.testing.assert_allclose(steps, 0.05, rtol=1e-5)


def test_hyperparameters_are_traced_and_static_values_are_compile_keys():
    base = {"optax": "adafactor", "hyper": {"learning_rate": 0.01}}
    surfaces.simulate("saddle", [base], starts=[[0.5, 0.5]], steps=3)
    before = surfaces.compilation_count()
    for lr in (0.02, 0.05, 0.3):
        surfaces.simulate(
            "saddle", [{"optax": "adafactor", "hyper": {"learning_rate": lr, "decay_rate": 0.7}}], starts=[[0.5, 0.5]], steps=3
        )
    assert surfaces.compilation_count() == before
    flipped = {"optax": "adafactor", "hyper": {"learning_rate": 0.01, "multiply_by_parameter_scale": False}}
    a = surfaces.simulate("saddle", [base], starts=[[0.5, 0.5]], steps=3)
    b = surfaces.simulate("saddle", [flipped], starts=[[0.5, 0.5]], steps=3)
    assert surfaces.compilation_count() > before  # a static value is a new program
    assert not np.array_equal(a.positions, b.positions)


def test_static_values_cannot_grow_the_kernel_cache_past_its_bound(monkeypatch):
    monkeypatch.setattr(kernels, "KERNEL_CACHE_SIZE", 3)
    kernels.clear_compiled()
    for seed in range(6):
        surfaces.simulate("saddle", [{"optax": "noisy_sgd", "hyper": {"seed": seed}}], starts=[[0.5, 0.5]], steps=2)
        assert kernels.compiled_kernel_count() <= 3
    kernels.clear_compiled()


def test_compare_mode_mixes_rules_in_the_requests_order():
    specs = ["adam", {"optax": "lion", "hyper": {"learning_rate": 0.01}}, "momentum", {"optax": "yogi"}]
    mixed = surfaces.simulate("bumpy", specs, starts={"random": 20}, steps=120)
    for i, spec in enumerate(specs):
        alone = surfaces.simulate("bumpy", [spec], starts={"random": 20}, steps=120)
        np.testing.assert_array_equal(mixed.positions[i], alone.positions[0])
        np.testing.assert_array_equal(mixed.diverged_at[i], alone.diverged_at[0])
    streamed = list(surfaces.simulate_chunks("bumpy", specs, starts={"random": 20}, steps=120))
    joined = np.concatenate([c.positions for c in streamed], axis=0).transpose(1, 0, 2, 3)
    np.testing.assert_array_equal(joined, mixed.positions)
    final = surfaces.simulate_final("bumpy", specs, starts={"random": 20}, steps=120)
    np.testing.assert_array_equal(final.positions, mixed.positions[:, -1])


def test_noisy_sgd_draws_its_own_noise_per_start_whatever_the_other_starts():
    spec = {"optax": "noisy_sgd", "hyper": {"eta": 1.0}}
    two = surfaces.simulate("narrow_valley", [spec], starts=[[1.0, 1.0], [1.0, 1.0]], steps=10)
    assert not np.array_equal(two.positions[0, :, 0], two.positions[0, :, 1])
    more = surfaces.simulate("narrow_valley", [spec], starts=[[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]], steps=10)
    np.testing.assert_array_equal(more.positions[0, :, :2], two.positions[0])


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"optax": "adamq"}, r"optimizers\[0\]\.optax: expected one of"),
        ({"optax": "lion", "hyper": {"lr": 0.1}}, r"optimizers\[0\]\.hyper: unknown hyperparameter of lion"),
        ({"optax": "lion", "hyper": {"learning_rate": 0.0}}, r"optimizers\[0\]\.hyper\.learning_rate: must be finite, > 0"),
        ({"optax": "lion", "hyper": {"b1": float("nan")}}, r"hyper\.b1: must be finite"),
        ({"optax": "lion", "hyper": {"b1": True}}, r"hyper\.b1: expected a number"),
        (
            {"optax": "adafactor", "hyper": {"multiply_by_parameter_scale": 1}},
            r"hyper\.multiply_by_parameter_scale: expected one of true, false",
        ),
        ({"optax": "noisy_sgd", "hyper": {"seed": 99}}, r"hyper\.seed: expected one of"),
        ({"optax": "lion", "momentum": 0.9}, r"optimizers\[0\]\.momentum: unknown field"),
    ],
)
def test_bad_optax_configurations_name_the_field(spec, fragment):
    with pytest.raises(ValueError, match=fragment):
        surfaces.simulate("saddle", [spec], starts=[[0.5, 0.5]], steps=2)
