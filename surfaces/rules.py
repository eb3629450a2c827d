"""The optimizer rules a run can use, as one interface: the lecture's rule and optax's
optimizers.  A rule owns its state layout: per-point state (vmapped over configurations and
starts), per-configuration state shared by all starts, and how its configurations'
hyperparameters are stacked into arrays (one row per configuration)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from errorscape.surfaces import optimizer
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.limits import MAX_CONFIGS
from errorscape.surfaces.optax_rules import OptaxConfig, optax_config, per_start, transformation
from errorscape.surfaces.optimizer import Hyperparams, OptimizerConfig, OptState
from errorscape.surfaces.problem import Pair
from errorscape.surfaces.registry import Array

Config = OptimizerConfig | OptaxConfig
LECTURE = ("lecture",)


def resolve_optimizers(optimizers: Any) -> list[Config]:
    """Configurations of the lecture's rule (a preset name, a mapping, an OptimizerConfig) or
    of optax's optimizers (``{"optax": "lion", "hyper": {...}}`` or an OptaxConfig)."""
    if isinstance(optimizers, (str, Mapping, OptimizerConfig, OptaxConfig)) or optimizer._is_optax_object(optimizers):
        optimizers = [optimizers]  # one configuration (an optax object is a tuple: not a list of two)
    if not isinstance(optimizers, Sequence) or not 1 <= len(optimizers) <= MAX_CONFIGS:
        raise FieldError(("optimizers",), f"expected a list of 1 to {MAX_CONFIGS} configurations")
    configs: list[Config] = []
    for i, spec in enumerate(optimizers):
        try:
            if isinstance(spec, OptaxConfig):
                configs.append(spec)
            elif isinstance(spec, Mapping) and "optax" in spec:
                unknown = set(spec) - {"optax", "hyper"}
                if unknown:
                    raise FieldError((sorted(unknown)[0],), "unknown field of an optax configuration (fields: optax, hyper)")
                hyper = spec.get("hyper") or {}
                if not isinstance(hyper, Mapping):
                    raise FieldError(("hyper",), "expected a mapping of hyperparameter names to values")
                configs.append(optax_config(spec["optax"], hyper))
            else:
                configs.append(optimizer.as_config(spec))
        except FieldError as err:
            # A lecture configuration names its fields from itself ("optimizer.lr"); in a run
            # that configuration is optimizers[i].
            raise err.rebased("optimizer", ("optimizers", i)) from None
    return configs


def rule_key(config: Config, specialised: bool = False) -> tuple:
    """Configurations with equal keys run in one compiled program (vmapped over configs).
    ``specialised``: the lecture's rule with its momentum and σ modes fixed in the program
    (``("lecture", momentum, sigma)``, at most 16 programs): fewer operations per step, but a
    change of either toggle compiles.  For runs where throughput matters, not for a page's
    interactive runs."""
    if isinstance(config, OptaxConfig):
        return config.kernel_key
    if specialised:
        return (*LECTURE, optimizer.MOMENTUM_MODES.index(config.momentum), optimizer.SIGMA_MODES.index(config.sigma))
    return LECTURE


class Rule(NamedTuple):
    """How one family of optimizers plugs into the step: per-point state (vmapped over configs
    and starts) and per-configuration state shared by all starts."""

    point_init: Any  # (theta Pair, start id, hp) -> opt
    shared_init: Any  # (hp, leaves [C]) -> shared
    point_update: Any  # (grad Pair, opt, theta Pair, k, shared, hp) -> (step Pair, opt)
    shared_next: Any  # (shared, hp [C]) -> shared
    stack: Any  # (host hyperparameters of each configuration) -> hp, leaves [C]


def lecture_rule(modes: tuple[int, int] | None = None) -> Rule:
    """The lecture's rule: element-wise, so one update per coordinate of the pair; ``modes``
    fixes its momentum and σ toggles (see rule_key)."""

    def point_init(theta: Pair, start_id: Array, hp: Hyperparams) -> Any:
        zero = jnp.zeros_like(theta[0])
        return (zero, zero), (zero, zero)

    def shared_init(hp: Hyperparams) -> Pair:
        one = jnp.ones_like(hp.lr)
        return one, one

    def point_update(g: Pair, opt: Any, theta: Pair, k: Array, shared: Pair, hp: Hyperparams) -> tuple[Pair, Any]:
        trace, nu = opt
        steps = [optimizer.update(g[i], OptState(k, trace[i], nu[i], *shared), hp, modes) for i in range(2)]
        new_opt = (steps[0][1].trace, steps[1][1].trace), (steps[0][1].nu, steps[1][1].nu)
        return (steps[0][0], steps[1][0]), new_opt

    def shared_next(shared: Pair, hp: Hyperparams) -> Pair:
        return optimizer.next_powers(*shared, hp)

    def stack(rows: Sequence[dict[str, Any]]) -> Hyperparams:
        return Hyperparams(**_stacked(rows))

    return Rule(point_init, shared_init, point_update, shared_next, stack)


def optax_rule(name: str, static: tuple) -> Rule:
    """An optax optimizer on θ as one vector of two, its hyperparameters injected (traced)."""

    def point_init(theta: Pair, start_id: Array, hp: dict[str, Array]) -> Any:
        return per_start(transformation(name, static, hp).init(jnp.stack(theta)), start_id)

    def point_update(g: Pair, opt: Any, theta: Pair, k: Array, shared: Any, hp: dict[str, Array]) -> tuple[Pair, Any]:
        updates, opt = transformation(name, static, hp).update(jnp.stack(g), opt, jnp.stack(theta))
        return (updates[0], updates[1]), opt

    return Rule(point_init, lambda hp: (), point_update, lambda shared, hp: (), _stacked)


def _stacked(rows: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {f: np.stack([h[f] for h in rows]) for f in rows[0]}


def make_rule(key: tuple) -> Rule:
    if key[0] == LECTURE[0]:
        return lecture_rule(None if key == LECTURE else (int(key[1]), int(key[2])))
    return optax_rule(key[1], key[2])
