"""The one rule against its oracles: optax where it defines the same rule, the lecture's
formulas in NumPy where it does not, and argument checking."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from errorscape import surfaces
from errorscape.surfaces.optimizer import OptimizerConfig, as_config, preset
from tests import numpy_reference as ref

STEPS = 60
STARTS = np.array([[-1.5, 2.5], [-1.0, -0.5], [1.5, 0.0], [0.3, 0.7]], np.float32)


def optax_trajectory(opt: optax.GradientTransformation, surface: str, starts: np.ndarray, steps: int) -> np.ndarray:
    """[steps + 1, S, 2]: optax's own update loop on the surface's full-batch loss."""
    from errorscape.surfaces.problem import loss_functions, make_env, resolve_params

    s = surfaces.get_surface(surface)
    full, _, _ = loss_functions(s)
    env = make_env(s, resolve_params(s, None), 0)
    grad = jax.vmap(jax.grad(full), in_axes=(0, None))

    @jax.jit
    def go(theta):
        def step(carry, _):
            th, state = carry
            updates, state = opt.update(grad(th, env), state, th)
            th = optax.apply_updates(th, updates)
            return (th, state), th

        _, path = jax.lax.scan(step, (theta, opt.init(theta)), None, length=steps)
        return jnp.concatenate([theta[None], path])

    return np.asarray(go(jnp.asarray(starts)))


@pytest.mark.parametrize(
    ("ours", "theirs", "surface"),
    [
        (preset("sgd", lr=0.001), optax.sgd(0.001), "rosenbrock"),
        (preset("momentum", lr=0.0005, lam=0.9), optax.sgd(0.0005, momentum=0.9), "rosenbrock"),
        (preset("nesterov", lr=0.0005, lam=0.8), optax.sgd(0.0005, momentum=0.8, nesterov=True), "rosenbrock"),
        (preset("adam", lr=0.02, beta1=0.9, beta2=0.999, eps=1e-8), optax.adam(0.02, b1=0.9, b2=0.999, eps=1e-8), "rosenbrock"),
        (preset("adam", lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6), optax.adam(0.05, b1=0.8, b2=0.99, eps=1e-6), "himmelblau"),
        (preset("momentum", lr=0.002, lam=0.95), optax.sgd(0.002, momentum=0.95), "himmelblau"),
    ],
)
def test_presets_agree_with_optax(ours, theirs, surface):
    got = surfaces.simulate(surface, ours, STARTS, STEPS).positions[0]
    want = optax_trajectory(theirs, surface, STARTS, STEPS)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


def test_exponential_schedule_agrees_with_optax():
    ours = preset("sgd", lr=0.002, schedule="exponential", decay_rate=0.97)
    theirs = optax.sgd(optax.exponential_decay(0.002, transition_steps=1, decay_rate=0.97))
    got = surfaces.simulate("himmelblau", ours, STARTS, STEPS).positions[0]
    np.testing.assert_allclose(got, optax_trajectory(theirs, "himmelblau", STARTS, STEPS), rtol=2e-5, atol=2e-5)


# Learning rates small enough that the runs contract rather than bounce: a chaotic run
# separates float32 from float64 whatever the implementation.
LECTURE_CASES = [
    {"sigma": "adagrad", "lr": 0.05},
    {"sigma": "rmsprop", "lr": 0.01, "alpha": 0.7},
    {"sigma": "adagrad", "lr": 0.1, "schedule": "inv_sqrt"},
    {"sigma": "rmsprop", "lr": 0.01, "momentum": "heavy_ball", "lam": 0.5, "warmup_steps": 10.0, "schedule": "cosine", "decay_steps": 40.0},
    {"sigma": "adam", "momentum": "nesterov", "lr": 0.05, "lam": 0.6, "beta2": 0.99},
    {"sigma": "adagrad", "momentum": "adam", "lr": 0.1, "beta1": 0.7, "schedule": "exponential", "decay_rate": 0.95},
]


@pytest.mark.parametrize("cfg", LECTURE_CASES)
def test_lecture_rules_match_the_numpy_formulas(cfg):
    got = surfaces.simulate("himmelblau", OptimizerConfig(**cfg), STARTS, STEPS).positions[0]
    for s, start in enumerate(STARTS):
        want = ref.run(lambda th, t: ref.himmelblau(th)[1], start, STEPS, cfg)
        np.testing.assert_allclose(got[:, s], want, rtol=1e-4, atol=1e-4)


def test_lecture_adagrad_is_optax_adagrad_with_a_growing_rate():
    # The documented mapping: mean instead of sum means η·√(t+1) in optax's terms.
    lr = 0.2
    ours = surfaces.simulate("himmelblau", preset("adagrad", lr=lr, eps=0.0), STARTS, STEPS).positions[0]
    theirs = optax.chain(
        optax.scale_by_rss(initial_accumulator_value=0.0, eps=0.0),
        optax.scale_by_schedule(lambda t: -lr * jnp.sqrt(t + 1.0)),
    )
    np.testing.assert_allclose(ours, optax_trajectory(theirs, "himmelblau", STARTS, STEPS), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("schedule", ["constant", "inv_sqrt", "exponential", "cosine"])
@pytest.mark.parametrize("warmup", [0.0, 7.0])
def test_schedule_matches_its_formula(schedule, warmup):
    from errorscape.surfaces.schedule import SCHEDULES, learning_rate

    cfg = {"lr": 0.3, "schedule": schedule, "decay_rate": 0.9, "decay_steps": 25.0, "warmup_steps": warmup}
    got = [
        float(
            learning_rate(jnp.int32(t), 0.3, jnp.int32(SCHEDULES.index(schedule)), jnp.float32(0.9), jnp.float32(25.0), jnp.float32(warmup))
        )
        for t in range(40)
    ]
    np.testing.assert_allclose(got, [ref.eta(t, cfg) for t in range(40)], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lr": -1.0}, "optimizer.lr"),
        ({"lr": 0.0}, "optimizer.lr"),
        ({"lr": float("nan")}, "optimizer.lr"),
        ({"lr": float("inf")}, "optimizer.lr"),
        ({"lr": True}, "optimizer.lr"),
        ({"lr": "0.1"}, "optimizer.lr"),
        ({"lam": 1.0}, "optimizer.lam"),
        ({"beta2": 1.5}, "optimizer.beta2"),
        ({"eps": -1e-9}, "optimizer.eps"),
        ({"sigma": "adadelta"}, "optimizer.sigma"),
        ({"momentum": 3}, "optimizer.momentum"),
        ({"schedule": "step"}, "optimizer.schedule"),
        ({"warmup_steps": 1e9}, "optimizer.warmup_steps"),
    ],
)
def test_bad_settings_raise_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        OptimizerConfig(**kwargs)


def test_specs_resolve_to_configs():
    assert as_config("adam") == preset("adam")
    assert as_config({"preset": "rmsprop", "lr": 0.5}).lr == 0.5
    assert as_config({"sigma": "adagrad"}).sigma == "adagrad"
    with pytest.raises(ValueError, match="unknown preset"):
        as_config("adamw")
    with pytest.raises(ValueError, match=r"optimizer\.bogus"):
        as_config({"preset": "sgd", "bogus": 1})
    with pytest.raises(ValueError, match="optimizer"):
        as_config(3.0)  # type: ignore[arg-type]


def test_presets_are_settings_of_the_one_rule():
    p = surfaces.PRESETS
    assert (p["sgd"].momentum, p["sgd"].sigma) == ("none", "none")
    assert (p["momentum"].momentum, p["momentum"].sigma) == ("heavy_ball", "none")
    assert (p["nesterov"].momentum, p["nesterov"].sigma) == ("nesterov", "none")
    assert (p["adagrad"].momentum, p["adagrad"].sigma) == ("none", "adagrad")
    assert (p["rmsprop"].momentum, p["rmsprop"].sigma) == ("none", "rmsprop")
    assert (p["adam"].momentum, p["adam"].sigma) == ("adam", "adam")
