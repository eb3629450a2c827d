"""The optimizer rules a run can use, as one interface: the lecture's rule and optax's
optimizers.  A rule owns its state layout: per-point state (vmapped over configurations and
starts), per-configuration state shared by all starts, and how its configurations'
hyperparameters are stacked into arrays (one row per configuration)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from errorscape.surfaces import optimizer
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.limits import MAX_CONFIGS
from errorscape.surfaces.optax_rules import OPTAX_RULES, OptaxConfig, optax_config, per_start, transformation, with_counts, without_counts
from errorscape.surfaces.optimizer import Hyperparams, OptimizerConfig
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
    and starts) and a table of per-configuration values for a chunk of steps.

    The table is built in two parts: on the host what must be a running product (β^t: a
    product is exact IEEE arithmetic wherever it runs, where pow(β, t) may round differently in
    differently compiled programs), then in the program, for all the chunk's steps at once,
    what is a function of the step (η_t, the reciprocals).  The step itself then reads one row:
    no scalar kernels run per step."""

    point_init: Any  # (theta Pair, start id, hp) -> opt
    point_update: Any  # (grad Pair, opt, theta Pair, k, row, hp) -> (step Pair, opt); row: the table's row for step k
    host_rows: Any  # (host hp, leaves [C]; host state or None; K) -> (host rows, leaves [K, C]; host state after K steps)
    table: Any  # (ks [K] int32, host rows, hp [C]) -> table, leaves [K, C] (in the program)
    stack: Any  # (host hyperparameters of each configuration) -> hp, leaves [C]


def lecture_rule(modes: tuple[int, int] | None = None) -> Rule:
    """The lecture's rule: element-wise, so one update per coordinate of the pair; ``modes``
    fixes its momentum and σ toggles (see rule_key)."""

    def point_init(theta: Pair, start_id: Array, hp: Hyperparams) -> Any:
        zero = jnp.zeros_like(theta[0])
        return (zero, zero), (zero, zero)

    def point_update(g: Pair, opt: Any, theta: Pair, k: Array, row: optimizer.StepScalars, hp: Hyperparams) -> tuple[Pair, Any]:
        trace, nu = opt
        steps = [optimizer.apply(g[i], trace[i], nu[i], k, row, hp, modes) for i in range(2)]
        return (steps[0][0], steps[1][0]), ((steps[0][1], steps[1][1]), (steps[0][2], steps[1][2]))

    def host_rows(hp: Hyperparams, powers: Any, k: int) -> tuple[Any, Any]:
        # β₁^{t+1} and β₂^{t+1} for the next k steps, as float32 running products (a
        # multiply.accumulate is sequential: the same products, in the same order, as one
        # multiplication a step).
        c = hp.beta1.shape[0]
        if powers is None:
            powers = np.ones(c, np.float32), np.ones(c, np.float32)
        rows = []
        for start, beta in zip(powers, (hp.beta1, hp.beta2), strict=True):
            factors = np.empty((k + 1, c), np.float32)
            factors[0], factors[1:] = start, beta
            rows.append(np.multiply.accumulate(factors, axis=0)[1:])
        return (rows[0], rows[1]), (rows[0][-1], rows[1][-1])

    def table(ks: Array, rows: Pair, hp: Hyperparams) -> optimizer.StepScalars:
        over_configs = jax.vmap(optimizer.step_scalars, in_axes=(None, 0, 0, 0))
        return jax.vmap(over_configs, in_axes=(0, 0, 0, None))(ks, rows[0], rows[1], hp)

    def stack(rows: Sequence[dict[str, Any]]) -> Hyperparams:
        return Hyperparams(**_stacked(rows))

    return Rule(point_init, point_update, host_rows, table, stack)


def optax_rule(name: str, static: tuple) -> Rule:
    """An optax optimizer, its hyperparameters traced, its step count the engine's step
    number (see optax_rules.without_counts); its table is empty.  θ is handed over as one
    vector of two, or — where every operation of the rule acts on one coordinate alone — as
    two parameters: the same arithmetic, without stacking θ and the gradient into a vector
    every step and slicing the update out of it (two kernels), and with each state array a
    [C, S] row like θ's."""
    if OPTAX_RULES[name].per_coordinate:

        def params(pair: Pair) -> Any:
            return pair

        def pair(updates: Any) -> Pair:
            return updates

    else:

        def params(pair: Pair) -> Any:
            return jnp.stack(pair)

        def pair(updates: Any) -> Pair:
            return updates[0], updates[1]

    def point_init(theta: Pair, start_id: Array, hp: dict[str, Array]) -> Any:
        return without_counts(per_start(transformation(name, static, hp).init(params(theta)), start_id))

    def point_update(g: Pair, opt: Any, theta: Pair, k: Array, row: Any, hp: dict[str, Array]) -> tuple[Pair, Any]:
        updates, opt = transformation(name, static, hp).update(params(g), with_counts(opt, k), params(theta))
        return pair(updates), without_counts(opt)

    return Rule(point_init, point_update, lambda hp, state, k: ((), ()), lambda ks, rows, hp: (), _stacked)


def _stacked(rows: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {f: np.stack([h[f] for h in rows]) for f in rows[0]}


def make_rule(key: tuple) -> Rule:
    if key[0] == LECTURE[0]:
        return lecture_rule(None if key == LECTURE else (int(key[1]), int(key[2])))
    return optax_rule(key[1], key[2])
