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

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from surfaces.registry import Array, Tensor
from surfaces.schedule import SCHEDULES, learning_rate

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


# (name, lowest, highest, whether the lowest is allowed).  Bounds are what keeps the rule
# meaningful: a decay of 1 or more never forgets, a non-positive learning rate climbs.
_BOUNDS: dict[str, tuple[float, float, bool]] = {
    "lr": (0.0, 100.0, False),
    "lam": (0.0, 0.999, True),
    "beta1": (0.0, 0.9999, True),
    "alpha": (0.0, 0.9999, True),
    "beta2": (0.0, 0.99999, True),
    "eps": (0.0, 1.0, True),
    "decay_rate": (0.0, 1.0, False),
    "decay_steps": (1.0, 1e7, True),
    "warmup_steps": (0.0, 1e7, True),
}
_CHOICES: dict[str, tuple[str, ...]] = {"momentum": MOMENTUM_MODES, "sigma": SIGMA_MODES, "schedule": SCHEDULES}


@dataclass(frozen=True)
class OptimizerConfig:
    """One setting of the rule, in the lecture's words; validated on construction."""

    lr: float = 0.01
    momentum: str = "none"
    lam: float = 0.9
    beta1: float = 0.9
    sigma: str = "none"
    alpha: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    schedule: str = "constant"
    decay_rate: float = 0.99
    decay_steps: float = 1000.0
    warmup_steps: float = 0.0

    def __post_init__(self) -> None:
        for name, choices in _CHOICES.items():
            value = getattr(self, name)
            if not isinstance(value, str) or value not in choices:
                raise ValueError(f"optimizer.{name}: expected one of {', '.join(choices)}, got {value!r}")
        for name, (low, high, low_ok) in _BOUNDS.items():
            value = getattr(self, name)
            # bool is an int in Python; a toggle passed where a number belongs is a mistake.
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise ValueError(f"optimizer.{name}: expected a number, got {type(value).__name__}")
            v = float(value)
            if not math.isfinite(v) or v > high or v < low or (v == low and not low_ok):
                rel = ">=" if low_ok else ">"
                raise ValueError(f"optimizer.{name}: must be finite, {rel} {low} and <= {high}")
            object.__setattr__(self, name, v)

    def hyperparams(self) -> dict[str, Any]:
        """The host-side arrays of :class:`Hyperparams` (NumPy, so building them compiles nothing)."""
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out: dict[str, Any] = {name: np.float32(values[name]) for name in _BOUNDS}
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
    if name not in PRESETS:
        raise ValueError(f"optimizer: unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    unknown = set(overrides) - {f.name for f in fields(OptimizerConfig)}
    if unknown:
        raise ValueError(f"optimizer.{sorted(unknown)[0]}: unknown optimizer field")
    return replace(PRESETS[name], **overrides)


def as_config(spec: OptimizerConfig | str | Mapping[str, Any]) -> OptimizerConfig:
    """A config from a config, a preset name, or a mapping (``{"preset": "adam", "lr": 0.1}``)."""
    if isinstance(spec, OptimizerConfig):
        return spec
    if isinstance(spec, str):
        return preset(spec)
    if isinstance(spec, Mapping):
        values = dict(spec)
        base = values.pop("preset", None)
        if base is None:
            unknown = set(values) - {f.name for f in fields(OptimizerConfig)}
            if unknown:
                raise ValueError(f"optimizer.{sorted(unknown)[0]}: unknown optimizer field")
            return OptimizerConfig(**values)
        if not isinstance(base, str):
            raise ValueError("optimizer.preset: expected a preset name")
        return preset(base, **values)
    raise ValueError(f"optimizer: expected a preset name, a mapping or an OptimizerConfig, got {type(spec).__name__}")


def init(theta: Array) -> OptState:
    zeros = jnp.zeros_like(theta)
    one = jnp.ones((), jnp.float32)
    return OptState(t=jnp.zeros((), jnp.int32), trace=zeros, nu=zeros, beta1_power=one, beta2_power=one)


def next_powers(beta1_power: Array, beta2_power: Array, hp: Hyperparams) -> tuple[Array, Array]:
    return beta1_power * hp.beta1, beta2_power * hp.beta2


def update(grad: Array, state: OptState, hp: Hyperparams) -> tuple[Array, OptState]:
    """(updates, new state) for one step; ``θ + updates`` is the next point.

    All branches are computed and selected: in two dimensions that costs a few flops, and
    it keeps the step one fused kernel with no control flow whatever the toggles say.
    """
    count, trace, nu = state.t, state.trace, state.nu
    k1 = (count + 1).astype(jnp.float32)  # 1-based step number, for Adagrad's mean
    beta1_power, beta2_power = next_powers(state.beta1_power, state.beta2_power, hp)  # β^(t+1)
    # Per-configuration divisors are applied as products with their reciprocal, written out:
    # XLA may or may not make that rewrite itself, depending on how the program was
    # partitioned, and a run must not depend on how many devices computed it.
    g2 = grad * grad

    heavy = grad + hp.lam * trace
    adam_m = hp.beta1 * trace + (1.0 - hp.beta1) * grad
    mm = hp.momentum_mode
    new_trace = jnp.where(mm == 3, adam_m, jnp.where(mm == 0, trace, heavy))
    m = jnp.select(
        [mm == 1, mm == 2, mm == 3],
        [heavy, grad + hp.lam * heavy, adam_m * (1.0 / (1.0 - beta1_power))],
        grad,
    )

    sm = hp.sigma_mode
    rms = jnp.where(count == 0, g2, hp.alpha * nu + (1.0 - hp.alpha) * g2)
    adam_v = hp.beta2 * nu + (1.0 - hp.beta2) * g2
    new_nu = jnp.select([sm == 1, sm == 2, sm == 3], [nu + g2, rms, adam_v], nu)
    sigma = jnp.select(
        [sm == 1, sm == 2, sm == 3],
        [jnp.sqrt(new_nu * (1.0 / k1)) + hp.eps, jnp.sqrt(rms) + hp.eps, jnp.sqrt(adam_v * (1.0 / (1.0 - beta2_power))) + hp.eps],
        jnp.ones_like(grad),
    )

    eta = learning_rate(count, hp.lr, hp.schedule, hp.decay_rate, hp.decay_steps, hp.warmup_steps)
    return -eta * (m / sigma), OptState(t=count + 1, trace=new_trace, nu=new_nu, beta1_power=beta1_power, beta2_power=beta2_power)
