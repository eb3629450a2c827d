"""The lecture's one update rule, θ_{t+1} = θ_t − (η_t / σ_t) ⊙ m_t, with every part a toggle.

It is a pure ``(init, update)`` pair in the optax style.  Hyperparameters — the mode toggles
included — travel as arrays in :class:`Hyperparams`, never as Python constants baked into a
trace, so a slider move or a preset change compiles nothing.

m_t (``momentum``):
  ``none``       m = g
  ``heavy_ball`` trace = g + λ·trace;  m = trace              (optax.sgd(momentum=λ))
  ``nesterov``   trace = g + λ·trace;  m = g + λ·trace        (optax.sgd(momentum=λ, nesterov=True))
  ``adam``       trace = β₁·trace + (1 − β₁)·g;  m = trace / (1 − β₁^{t+1})
σ_t (``sigma``):
  ``none``       σ = 1
  ``adagrad``    σ = √(1/(t+1) · Σ_{i≤t} g_i²) + ε — the lecture's root mean square of all past
                 gradients.  optax.adagrad divides by √(Σ g_i² + ε) instead (a sum, not a mean, and
                 an initial accumulator of 0.1): the lecture's rule with η equals optax's with
                 η·√(t+1) and no initial accumulator.
  ``rmsprop``    σ₀ = |g₀|;  σ_t = √(α·σ_{t−1}² + (1 − α)·g_t²) + ε — the lecture's form.  optax.rmsprop
                 starts its average at 0, i.e. σ₀ = √(1 − α)·|g₀|.
  ``adam``       v = β₂·v + (1 − β₂)·g²;  σ = √(v / (1 − β₂^{t+1})) + ε          (optax.adam)
η_t: see :mod:`surfaces.schedule`.

Presets are one-line settings of the rule; any part combines with any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.fields import ChoiceField, Field, NumberField
from errorscape.surfaces.optax_rules import OPTAX_NAMES
from errorscape.surfaces.registry import Array, Tensor
from errorscape.surfaces.schedule import SCHEDULES, learning_rate

MOMENTUM_MODES = ("none", "heavy_ball", "nesterov", "adam")
SIGMA_MODES = ("none", "adagrad", "rmsprop", "adam")


class Hyperparams(NamedTuple):
    """Every hyperparameter as an array (scalars for one configuration, [C] for several)."""

    lr: Tensor
    momentum_mode: Tensor  # int32 index into MOMENTUM_MODES
    lam: Tensor
    beta1: Tensor
    sigma_mode: Tensor  # int32 index into SIGMA_MODES
    alpha: Tensor
    beta2: Tensor
    eps: Tensor
    schedule: Tensor  # int32 index into SCHEDULES
    decay_rate: Tensor
    decay_steps: Tensor
    warmup_steps: Tensor


class OptState(NamedTuple):
    t: Tensor  # int32 scalar: updates done so far (the lecture's t)
    trace: Tensor  # first-moment accumulator, like θ
    nu: Tensor  # second-moment accumulator, like θ (its meaning depends on sigma)
    # β₁^t and β₂^t for Adam's bias corrections, kept as running products: a product is
    # exact IEEE arithmetic wherever it runs, where pow(β, t) may round differently in
    # differently compiled programs (one device or several).
    beta1_power: Tensor
    beta2_power: Tensor


# The rule's fields, in the order the page shows them.  Bounds are what keeps the rule
# meaningful: a decay of 1 or more never forgets, a non-positive learning rate climbs.
FIELDS: tuple[Field, ...] = (
    NumberField("lr", 0.0, 100.0, 0.01, low_ok=False, log=True, control=(1e-4, 10.0), description="learning rate η"),
    ChoiceField(
        "momentum",
        MOMENTUM_MODES,
        "none",
        description="what m_t is",
        number_hint="momentum is the mode; the coefficient λ is lam (preset('momentum', lam=0.9))",
    ),
    NumberField("lam", 0.0, 0.999, 0.9, control=(0.0, 0.99), shown_when=("momentum", ("heavy_ball", "nesterov")), description="momentum λ"),
    NumberField("beta1", 0.0, 0.9999, 0.9, control=(0.0, 0.999), shown_when=("momentum", ("adam",)), description="Adam's β₁"),
    ChoiceField("sigma", SIGMA_MODES, "none", description="what σ_t is"),
    NumberField("alpha", 0.0, 0.9999, 0.9, control=(0.0, 0.999), shown_when=("sigma", ("rmsprop",)), description="RMSProp's α"),
    NumberField("beta2", 0.0, 0.99999, 0.999, control=(0.9, 0.9999), shown_when=("sigma", ("adam",)), description="Adam's β₂"),
    NumberField(
        "eps",
        0.0,
        1.0,
        1e-8,
        log=True,
        control=(1e-10, 0.1),
        shown_when=("sigma", ("adagrad", "rmsprop", "adam")),
        description="ε added to σ",
    ),
    ChoiceField("schedule", SCHEDULES, "constant", description="how η_t changes with t"),
    NumberField(
        "decay_rate",
        0.0,
        1.0,
        0.99,
        low_ok=False,
        control=(0.9, 1.0),
        shown_when=("schedule", ("exponential",)),
        description="decay per horizon",
    ),
    NumberField(
        "decay_steps",
        1.0,
        1e7,
        1000.0,
        control_shown=False,
        integer=True,
        description="the decay's horizon (the page uses the run's steps)",
    ),
    NumberField("warmup_steps", 0.0, 1e7, 0.0, control=(0.0, 500.0), integer=True, description="steps of linear warm-up"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
_NUMBERS = tuple(f for f in FIELDS if isinstance(f, NumberField))
_CHOICES = tuple(f for f in FIELDS if isinstance(f, ChoiceField))
_DEFAULTS: dict[str, Any] = {f.name: f.default for f in FIELDS}


@dataclass(frozen=True)
class OptimizerConfig:
    """One setting of the rule, in the lecture's words; validated on construction.

    Fields and their bounds are declared in :data:`FIELDS`: ``lr`` (η > 0), ``momentum``
    (none / heavy_ball / nesterov / adam) with ``lam`` (λ) or ``beta1``, ``sigma`` (none /
    adagrad / rmsprop / adam) with ``alpha``, ``beta2`` and ``eps``, ``schedule`` (constant /
    inv_sqrt / exponential / cosine) with ``decay_rate`` and ``decay_steps``, and
    ``warmup_steps``.  A bad value raises :class:`FieldError` naming the field.
    """

    lr: float = _DEFAULTS["lr"]
    momentum: str = _DEFAULTS["momentum"]
    lam: float = _DEFAULTS["lam"]
    beta1: float = _DEFAULTS["beta1"]
    sigma: str = _DEFAULTS["sigma"]
    alpha: float = _DEFAULTS["alpha"]
    beta2: float = _DEFAULTS["beta2"]
    eps: float = _DEFAULTS["eps"]
    schedule: str = _DEFAULTS["schedule"]
    decay_rate: float = _DEFAULTS["decay_rate"]
    decay_steps: float = _DEFAULTS["decay_steps"]
    warmup_steps: float = _DEFAULTS["warmup_steps"]

    def __post_init__(self) -> None:
        for choice in _CHOICES:
            choice.check(getattr(self, choice.name), ("optimizer", choice.name))
        for number in _NUMBERS:
            object.__setattr__(self, number.name, number.check(getattr(self, number.name), ("optimizer", number.name)))

    def hyperparams(self) -> dict[str, Any]:
        """The host-side arrays of :class:`Hyperparams` (NumPy, so building them compiles nothing)."""
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out: dict[str, Any] = {f.name: np.float32(values[f.name]) for f in _NUMBERS}
        out["momentum_mode"] = np.int32(MOMENTUM_MODES.index(self.momentum))
        out["sigma_mode"] = np.int32(SIGMA_MODES.index(self.sigma))
        out["schedule"] = np.int32(SCHEDULES.index(self.schedule))
        return out


PRESETS: dict[str, OptimizerConfig] = {
    "sgd": OptimizerConfig(lr=0.01),
    "momentum": OptimizerConfig(lr=0.01, momentum="heavy_ball", lam=0.9),
    "nesterov": OptimizerConfig(lr=0.01, momentum="nesterov", lam=0.9),
    "adagrad": OptimizerConfig(lr=0.1, sigma="adagrad", eps=1e-8),
    "rmsprop": OptimizerConfig(lr=0.01, sigma="rmsprop", alpha=0.9, eps=1e-8),
    "adam": OptimizerConfig(lr=0.01, momentum="adam", beta1=0.9, sigma="adam", beta2=0.999, eps=1e-8),
}


def preset(name: str, **overrides: Any) -> OptimizerConfig:
    """The preset ``name`` (one of :data:`PRESETS`: sgd, momentum, nesterov, adagrad, rmsprop,
    adam) with any field overridden: ``preset("momentum", lam=0.5)``.  An unknown name or field,
    or a value out of bounds, raises :class:`FieldError`."""
    if isinstance(name, str) and name in OPTAX_NAMES:
        usage = f"{{'optax': {name!r}, 'hyper': {{'learning_rate': 0.01}}}}"
        raise FieldError(("optimizer",), f"unknown preset {name!r}: it is one of optax's optimizers, use {usage}")
    if not isinstance(name, str) or name not in PRESETS:
        raise FieldError(("optimizer",), f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    unknown = set(overrides) - set(FIELD_NAMES)
    if unknown:
        raise FieldError(("optimizer", sorted(unknown)[0]), f"unknown optimizer field (fields: {', '.join(FIELD_NAMES)})")
    return replace(PRESETS[name], **overrides)


def as_config(spec: OptimizerConfig | str | Mapping[str, Any]) -> OptimizerConfig:
    """A config from a config, a preset name, or a mapping (``{"preset": "adam", "lr": 0.1}``)."""
    if isinstance(spec, OptimizerConfig):
        return spec
    if isinstance(spec, str):
        return preset(spec)
    if _is_optax_object(spec):
        raise FieldError(
            ("optimizer",),
            "an optax optimizer object cannot be run here (its hyperparameters are fixed inside it): name it instead, "
            "e.g. {'optax': 'adam', 'hyper': {'learning_rate': 0.01}} (errorscape.OPTAX_OPTIMIZERS lists the names)",
        )
    if isinstance(spec, Mapping):
        values = dict(spec)
        base = values.pop("preset", None)
        if base is None:
            unknown = set(values) - set(FIELD_NAMES)
            if unknown:
                raise FieldError(("optimizer", sorted(unknown)[0]), f"unknown optimizer field (fields: {', '.join(FIELD_NAMES)})")
            return OptimizerConfig(**values)
        if not isinstance(base, str):
            raise FieldError(("optimizer", "preset"), "expected a preset name")
        return preset(base, **values)
    raise FieldError(("optimizer",), f"expected a preset name, a mapping or an OptimizerConfig, got {type(spec).__name__}")


def _is_optax_object(spec: Any) -> bool:
    """An optax GradientTransformation (init and update functions), as a notebook might pass."""
    return callable(getattr(spec, "init", None)) and callable(getattr(spec, "update", None))


class StepScalars(NamedTuple):
    """What one step needs per configuration beyond the point's own state: η_t and the
    divisors of the bias corrections and of Adagrad's mean.  The engine computes them for a
    whole chunk of steps at once (one vectorised pass, not a few scalar kernels every step);
    :func:`update` computes them for its one step.  Either way by the same expressions."""

    eta: Tensor  # η_t
    bias1: Tensor  # 1 / (1 − β₁^{t+1})
    bias2: Tensor  # 1 / (1 − β₂^{t+1})
    inv_count: Tensor  # 1 / (t + 1), Adagrad's mean over the steps so far


def step_scalars(count: Array, beta1_power: Array, beta2_power: Array, hp: Hyperparams) -> StepScalars:
    """The scalars of update number ``count`` (0-based), given β₁^{count+1} and β₂^{count+1}.

    Per-configuration divisors are applied as products with their reciprocal, written out:
    XLA may or may not make that rewrite itself, depending on how the program was partitioned,
    and a run must not depend on how many devices computed it."""
    k1 = (count + 1).astype(jnp.float32)  # 1-based step number, for Adagrad's mean
    eta = learning_rate(count, hp.lr, hp.schedule, hp.decay_rate, hp.decay_steps, hp.warmup_steps)
    return StepScalars(eta, 1.0 / (1.0 - beta1_power), 1.0 / (1.0 - beta2_power), 1.0 / k1)


def apply(
    grad: Array, trace: Array, nu: Array, count: Array, s: StepScalars, hp: Hyperparams, modes: tuple[int, int] | None = None
) -> tuple[Array, Array, Array]:
    """(updates, new trace, new ν) of update number ``count`` with its scalars ``s``.

    All branches are computed and selected: in two dimensions that costs a few flops, and
    it keeps the step one fused kernel with no control flow whatever the toggles say.
    ``modes`` (indices into MOMENTUM_MODES and SIGMA_MODES) fixes the two toggles instead: only
    their branches are computed (the same operations, so the same bits), for programs where
    throughput matters more than a toggle compiling nothing (see rules.rule_key).
    """
    if modes is not None:
        return _apply_static(grad, trace, nu, count, s, hp, *modes)
    g2 = grad * grad

    # m and σ are written in terms of the new trace and ν (equal, in each mode, to what that
    # mode's branch computes), never of the old state: a kernel computing θ then reads the
    # state kernels' outputs instead of recomputing them from the old trace and ν, so those can
    # be updated in place (reading old state after its update forced XLA to copy every
    # state array each step: six more kernels a step than the specialised Adam program).
    heavy = grad + hp.lam * trace
    adam_m = hp.beta1 * trace + (1.0 - hp.beta1) * grad
    mm = hp.momentum_mode
    new_trace = jnp.where(mm == 3, adam_m, jnp.where(mm == 0, trace, heavy))
    # One product for heavy ball and Adam: the new trace times 1 (exactly itself) or times
    # Adam's bias correction.
    m = jnp.where(mm == 0, grad, jnp.where(mm == 2, grad + hp.lam * new_trace, new_trace * jnp.where(mm == 3, s.bias1, 1.0)))

    sm = hp.sigma_mode
    rms = jnp.where(count == 0, g2, hp.alpha * nu + (1.0 - hp.alpha) * g2)
    adam_v = hp.beta2 * nu + (1.0 - hp.beta2) * g2
    new_nu = jnp.select([sm == 1, sm == 2, sm == 3], [nu + g2, rms, adam_v], nu)
    # One square root for the three adaptive modes: ν's mean over the steps (Adagrad), ν
    # itself (times 1: exactly ν, RMSprop) or Adam's bias-corrected ν.
    scale = jnp.where(sm == 1, s.inv_count, jnp.where(sm == 3, s.bias2, 1.0))
    sigma = jnp.where(sm == 0, jnp.ones_like(grad), jnp.sqrt(new_nu * scale) + hp.eps)
    # With ε = 0 an adaptive σ is exactly 0 in a coordinate whose gradients have all been 0,
    # and so is m there: that coordinate does not move (0/0 would mark a healthy start diverged).
    step = jnp.where(sigma > 0, m / jnp.where(sigma > 0, sigma, 1.0), 0.0)
    return -s.eta * step, new_trace, new_nu


def _apply_static(
    grad: Array, trace: Array, nu: Array, count: Array, s: StepScalars, hp: Hyperparams, mm: int, sm: int
) -> tuple[Array, Array, Array]:
    """:func:`apply` with the momentum and σ modes fixed: each expression is the one the
    general form selects for these modes, less its products by exactly 1 (which change no
    bit), so both give the same bits."""
    g2 = grad * grad
    if mm == 0:
        new_trace, m = trace, grad
    elif mm in (1, 2):
        heavy = grad + hp.lam * trace
        new_trace, m = heavy, heavy if mm == 1 else grad + hp.lam * heavy
    else:
        adam_m = hp.beta1 * trace + (1.0 - hp.beta1) * grad
        new_trace, m = adam_m, adam_m * s.bias1
    if sm == 0:
        return -s.eta * m, new_trace, nu  # σ = 1: m / 1 is m
    if sm == 1:
        new_nu = nu + g2
        sigma = jnp.sqrt(new_nu * s.inv_count) + hp.eps
    elif sm == 2:
        new_nu = jnp.where(count == 0, g2, hp.alpha * nu + (1.0 - hp.alpha) * g2)
        sigma = jnp.sqrt(new_nu) + hp.eps
    else:
        new_nu = hp.beta2 * nu + (1.0 - hp.beta2) * g2
        sigma = jnp.sqrt(new_nu * s.bias2) + hp.eps
    step = jnp.where(sigma > 0, m / jnp.where(sigma > 0, sigma, 1.0), 0.0)
    return -s.eta * step, new_trace, new_nu


def next_powers(beta1_power: Array, beta2_power: Array, hp: Hyperparams) -> tuple[Array, Array]:
    return beta1_power * hp.beta1, beta2_power * hp.beta2


def update(grad: Array, state: OptState, hp: Hyperparams, modes: tuple[int, int] | None = None) -> tuple[Array, OptState]:
    """(updates, new state) for one step; ``θ + updates`` is the next point (see :func:`apply`)."""
    beta1_power, beta2_power = next_powers(state.beta1_power, state.beta2_power, hp)  # β^(t+1)
    scalars = step_scalars(state.t, beta1_power, beta2_power, hp)
    updates, trace, nu = apply(grad, state.trace, state.nu, state.t, scalars, hp, modes)
    return updates, OptState(t=state.t + 1, trace=trace, nu=nu, beta1_power=beta1_power, beta2_power=beta2_power)
