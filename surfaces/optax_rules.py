"""optax's optimizers beside the lecture's rule, runnable by the same engine.

Each entry names an optax factory, the hyperparameters offered as controls (with bounds and
defaults) and the values that must be static.  Numeric hyperparameters are handed to the
factory as traced arrays, one per configuration, so changing them compiles nothing; they are
not part of the per-start state (``optax.inject_hyperparams`` would keep a copy of each, and a
step count, in every start's state and carry them through every step).  Static values (a flag,
a seed) are baked into the traced program: they are part of the engine's compile key, whose
cache is bounded.

The parameters of a surface, θ = (w₁, w₂), are handed to optax as one vector of two, so
optimizers that work per tensor (LAMB's trust ratio, NovoGrad's layer-wise second moment,
Adafactor's parameter scale) see θ as one layer; optimizers marked ``per_coordinate`` get the
two coordinates as two parameters (the same bits, fewer kernels a step: rules.optax_rule).
Step counts in optax's states are not kept per start: the engine puts its step number there
(``without_counts`` / ``with_counts``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.fields import NumberField

# A numeric hyperparameter offered as a control: the same declaration as the lecture rule's fields.
Hyper = NumberField


@dataclass(frozen=True)
class Static:
    name: str
    choices: tuple[Any, ...]
    default: Any
    note: str


@dataclass(frozen=True)
class OptaxRule:
    factory: Callable[..., optax.GradientTransformation]
    hypers: tuple[Hyper, ...]
    statics: tuple[Static, ...] = ()
    fixed: Mapping[str, Any] = None  # type: ignore[assignment]  # static arguments not offered as controls
    description: str = ""
    # Static values as offered (plain JSON values) -> the factory's arguments, where they differ.
    adapt: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # Every operation acts on each coordinate alone (no norm, no per-tensor statistic, no
    # random draw): the rule may then run on θ's coordinates as two parameters instead of
    # one vector of two, with the same bits (see rules.optax_rule).
    per_coordinate: bool = False


def _lr(default: float) -> Hyper:
    return Hyper("learning_rate", 0.0, 100.0, default, low_ok=False, log=True)


def _betas(b1: float = 0.9, b2: float = 0.999) -> tuple[Hyper, Hyper]:
    return Hyper("b1", 0.0, 0.9999, b1), Hyper("b2", 0.0, 0.99999, b2)


def _eps(default: float) -> Hyper:
    return Hyper("eps", 0.0, 1.0, default, log=True)


def _wd(default: float) -> Hyper:
    return Hyper("weight_decay", 0.0, 10.0, default)


OPTAX_RULES: dict[str, OptaxRule] = {
    "adamw": OptaxRule(
        optax.adamw, (_lr(0.01), *_betas(), _eps(1e-8), _wd(1e-4)), description="Adam with decoupled weight decay", per_coordinate=True
    ),
    "lion": OptaxRule(
        optax.lion,
        (_lr(0.01), *_betas(0.9, 0.99), _wd(1e-3)),
        description="sign of a momentum blend: every step has size η",
        per_coordinate=True,
    ),
    "adabelief": OptaxRule(
        optax.adabelief, (_lr(0.01), *_betas(), _eps(1e-16)), description="Adam scaled by the belief in the gradient", per_coordinate=True
    ),
    "radam": OptaxRule(
        optax.radam,
        (_lr(0.01), *_betas(), _eps(1e-8), Hyper("threshold", 0.0, 100.0, 5.0)),
        description="Adam with a rectified, warmed-up variance",
        per_coordinate=True,
    ),
    "nadam": OptaxRule(optax.nadam, (_lr(0.01), *_betas(), _eps(1e-8)), description="Adam with Nesterov momentum", per_coordinate=True),
    "adamax": OptaxRule(optax.adamax, (_lr(0.01), *_betas(), _eps(1e-8)), description="Adam with the infinity norm", per_coordinate=True),
    "amsgrad": OptaxRule(optax.amsgrad, (_lr(0.01), *_betas(), _eps(1e-8)), description="Adam whose σ never shrinks", per_coordinate=True),
    "yogi": OptaxRule(
        optax.yogi, (_lr(0.01), *_betas(), _eps(1e-3)), description="Adam with additive second-moment updates", per_coordinate=True
    ),
    "lamb": OptaxRule(optax.lamb, (_lr(0.01), *_betas(), _eps(1e-6), _wd(0.0)), description="Adam steps scaled by a trust ratio ‖θ‖/‖u‖"),
    "novograd": OptaxRule(
        optax.novograd,
        (_lr(0.01), *_betas(0.9, 0.25), _eps(1e-6), _wd(0.0)),
        description="layer-wise normalised gradients with momentum",
    ),
    "sm3": OptaxRule(optax.sm3, (_lr(0.1), Hyper("momentum", 0.0, 0.999, 0.9)), description="memory-saving adaptive rates"),
    "adafactor": OptaxRule(
        optax.adafactor,
        (_lr(0.01), Hyper("decay_rate", 0.0, 1.0, 0.8), Hyper("clipping_threshold", 0.01, 100.0, 1.0), _eps(1e-30)),
        statics=(
            Static(
                "multiply_by_parameter_scale",
                (True, False),
                True,
                "steps are relative to ‖θ‖; a change compiles a new program",
            ),
        ),
        fixed={"min_dim_size_to_factor": 128, "decay_offset": 0, "dtype_momentum": jnp.float32, "factored": True},
        description="factored second moments, steps relative to the parameters' scale",
    ),
    "noisy_sgd": OptaxRule(
        optax.noisy_sgd,
        (_lr(0.01), Hyper("eta", 0.0, 10.0, 0.01), Hyper("gamma", 0.0, 2.0, 0.55)),
        statics=(Static("seed", tuple(range(10)), 0, "the noise's seed; a change compiles a new program"),),
        adapt=lambda static: {"key": jax.random.key(static["seed"])},
        description="SGD plus Gaussian noise of variance η/(1+t)^γ",
    ),
}
OPTAX_NAMES = tuple(OPTAX_RULES)


@dataclass(frozen=True)
class OptaxConfig:
    """One optax optimizer with its hyperparameters; validated on construction."""

    name: str
    hyper: tuple[tuple[str, float], ...] = ()  # every offered hyperparameter, defaults filled in
    static: tuple[tuple[str, Any], ...] = ()

    def hyperparams(self) -> dict[str, np.float32]:
        return {k: np.float32(v) for k, v in self.hyper}

    @property
    def kernel_key(self) -> tuple:
        """What a compiled program depends on: the optimizer and its static values."""
        return ("optax", self.name, self.static)


def optax_config(name: Any, values: Mapping[str, Any] | None = None) -> OptaxConfig:
    """A checked configuration; FieldError names the field at fault (``optax`` or ``hyper.<name>``)."""
    if not isinstance(name, str) or name not in OPTAX_RULES:
        raise FieldError(("optax",), f"expected one of {', '.join(OPTAX_NAMES)}")
    rule = OPTAX_RULES[name]
    values = dict(values or {})
    hypers = {h.name: h for h in rule.hypers}
    statics = {s.name: s for s in rule.statics}
    for key in values:
        if key not in hypers and key not in statics:
            known = ", ".join([*hypers, *statics])
            raise FieldError(("hyper",), f"unknown hyperparameter of {name} (hyperparameters: {known})")
    hyper = []
    for h in rule.hypers:
        hyper.append((h.name, h.check(values.get(h.name, h.default), ("hyper", h.name))))
    static = []
    for s in rule.statics:
        v = values.get(s.name, s.default)
        if type(v) is not type(s.default) or v not in s.choices:
            raise FieldError(("hyper", s.name), f"expected one of {', '.join(str(c).lower() for c in s.choices)}")
        static.append((s.name, v))
    return OptaxConfig(name=name, hyper=tuple(hyper), static=tuple(static))


def static_arguments(name: str, static: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """The factory's static arguments: the fixed ones and the offered static values."""
    rule = OPTAX_RULES[name]
    offered = dict(static)
    return {**dict(rule.fixed or {}), **(rule.adapt(offered) if rule.adapt else offered)}


def transformation(name: str, static: tuple[tuple[str, Any], ...], hyper: Mapping[str, Any]) -> optax.GradientTransformation:
    """The optax transformation built on ``hyper`` (arrays, possibly traced: build it inside
    the traced function, where they are the configuration's values) with the static values
    fixed.  The factory reads them as ``inject_hyperparams`` would hand them over, so every
    factory that works injected works here."""
    return OPTAX_RULES[name].factory(**static_arguments(name, static), **hyper)


def without_counts(state: Any) -> Any:
    """``state`` with each step count (a ``count`` field of optax's states) left out: every
    start's count is the number of updates done, the step number the engine already has, so
    a start need not carry it (a count per start is one more kernel every step)."""
    return _map_counts(state, lambda count: None)


def with_counts(state: Any, count: jax.Array) -> Any:
    """The state ``without_counts`` left, each count put back as ``count``."""
    return _map_counts(state, lambda _: count)


def _map_counts(state: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        fields = {f: _map_counts(getattr(state, f), fn) for f in state._fields}
        if "count" in fields:
            fields["count"] = fn(fields["count"])
        return type(state)(**fields)
    if isinstance(state, (tuple, list)):
        return type(state)(_map_counts(s, fn) for s in state)
    return state


def per_start(state: Any, start_id: jax.Array) -> Any:
    """Random keys in the state (noisy_sgd's) folded with the start's id: each start draws
    its own noise, the same whatever the other starts are."""

    def fold(leaf: Any) -> Any:
        if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            return jax.random.fold_in(leaf, start_id)
        return leaf

    return jax.tree.map(fold, state)
