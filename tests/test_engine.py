"""The engine against a plain NumPy loop, and its promises: shapes, divergence marking,
streaming, reproducibility, compare mode, no recompiles, and argument errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from errorscape import surfaces
from errorscape.surfaces import engine
from errorscape.surfaces.kernels import CHUNK_STEPS, FINAL_CHUNK_STEPS, bucket
from errorscape.surfaces.optimizer import MOMENTUM_MODES, SIGMA_MODES, OptimizerConfig, preset
from errorscape.surfaces.problem import loss_functions, make_env, resolve_params
from errorscape.surfaces.schedule import SCHEDULES
from tests import numpy_reference as ref


def test_result_shapes_and_time_major_layout():
    r = surfaces.simulate("sharp_flat", ["sgd", "adam", "momentum"], {"random": 5}, steps=CHUNK_STEPS + 7)
    c, t, s = 3, CHUNK_STEPS + 8, 5
    assert r.positions.shape == (c, t, s, 2)
    assert r.loss.shape == r.grad_norm.shape == (c, t, s)
    assert r.test_loss is not None and r.test_loss.shape == (c, t, s)
    assert r.diverged_at.shape == (c, s)
    np.testing.assert_array_equal(r.positions[:, 0], np.broadcast_to(r.starts, (c, s, 2)))
    assert surfaces.simulate("rosenbrock", "sgd", steps=3).test_loss is None


@pytest.mark.parametrize(
    ("surface", "formula", "params", "cfg"),
    [
        ("narrow_valley", ref.valley(30.0), {"kappa": 30.0, "noise": 1.0}, {"lr": 0.02, "momentum": "heavy_ball", "lam": 0.8}),
        ("saddle", ref.saddle, {"noise": 0.7}, {"lr": 0.01, "sigma": "adam", "momentum": "adam", "beta2": 0.99}),
        ("rosenbrock", ref.rosenbrock, {"noise": 2.0}, {"lr": 0.0005}),
    ],
)
@pytest.mark.parametrize("batch", [1, 5, 16])
def test_minibatch_runs_equal_the_numpy_loop(surface, formula, params, cfg, batch):
    s = surfaces.get_surface(surface)
    starts = np.array([[-1.2, 0.9], [0.5, -0.4], [1.1, 1.3]], np.float32)
    steps = 70  # more than one epoch for every batch size here: reshuffles are exercised
    got = surfaces.simulate(s, OptimizerConfig(**cfg), starts, steps, batch_size=batch, seed=7, surface_params=params)
    examples = s.data(0).train
    n = examples.shape[0]
    grad = ref.noisy(formula, params["noise"], examples)
    for i, start in enumerate(starts):
        want = ref.run(lambda th, t, i=i: grad(th, ref.batch_rows(7, i, t, batch, n)), start, steps, cfg)
        np.testing.assert_allclose(got.positions[0, :, i], want, rtol=2e-4, atol=2e-4)


def test_shuffle_visits_every_example_once_per_epoch():
    n, batch = 64, 8
    for start in range(3):
        for epoch in range(3):
            rows = np.concatenate([ref.batch_rows(3, start, epoch * (n // batch) + j, batch, n) for j in range(n // batch)])
            assert sorted(rows.tolist()) == list(range(n))
    assert not np.array_equal(ref.batch_rows(3, 0, 0, 8, 64), ref.batch_rows(3, 1, 0, 8, 64))
    from errorscape.surfaces.sampling import shuffled_index

    slots = np.arange(64, dtype=np.uint32)
    got = np.asarray(shuffled_index(jnp.uint32(3), jnp.uint32(2), jnp.uint32(5), jnp.asarray(slots), 6))
    np.testing.assert_array_equal(got, [ref.shuffled_index(3, 2, 5, int(r), 6) for r in slots])


def test_sharp_flat_minibatch_gradient_is_the_mean_over_its_rows():
    s = surfaces.get_surface("sharp_flat")
    start = np.array([[0.4, 0.3]], np.float32)
    cfg = preset("sgd", lr=0.05)
    got = surfaces.simulate(s, cfg, start, 5, batch_size=4, seed=11).positions[0, :, 0]
    env = make_env(s, resolve_params(s, None), 0)
    _, batch_loss, _ = loss_functions(s)
    theta = jnp.asarray(start[0])
    for t in range(5):
        rows = ref.batch_rows(11, 0, t, 4, 64)
        g = jax.grad(batch_loss)(theta, env.table[rows], jnp.full(4, 0.25), env)
        theta = theta - 0.05 * g
        np.testing.assert_allclose(got[t + 1], np.asarray(theta), rtol=1e-5, atol=1e-6)


def test_divergence_is_marked_and_later_entries_are_nan():
    # On ½(x² + 100y²) plain GD with η = 0.05 multiplies y by (1 − 5) = −4 every step.
    starts = np.array([[1.0, 1.0], [1.0, 0.0]], np.float32)
    r = surfaces.simulate("narrow_valley", preset("sgd", lr=0.05), starts, 40, surface_params={"noise": 0.0})
    d = r.diverged_at[0]
    assert d[1] == -1, "the start on the valley floor never diverges"
    assert 1 <= d[0] <= 40
    assert np.isnan(r.positions[0, d[0] :, 0]).all() and np.isnan(r.loss[0, d[0] :, 0]).all()
    assert np.isfinite(r.positions[0, : d[0], 0]).all() and np.isfinite(r.loss[0, : d[0], 0]).all()
    assert np.abs(r.positions[0, d[0] - 1, 0]).max() <= surfaces.get_surface("narrow_valley").bound
    assert np.isfinite(r.positions[0, :, 1]).all()


def test_chunks_stream_the_same_run():
    kwargs = {"starts": {"random": 9}, "steps": 2 * CHUNK_STEPS + 13, "batch_size": 8, "seed": 5}
    whole = surfaces.simulate("saddle", ["sgd", "adam"], **kwargs)
    chunks = list(surfaces.simulate_chunks("saddle", ["sgd", "adam"], **kwargs))
    assert [(c.t0, c.t1) for c in chunks] == [(0, 1), (1, 101), (101, 201), (201, 214)]
    stacked = np.concatenate([c.positions for c in chunks]).transpose(1, 0, 2, 3)
    np.testing.assert_array_equal(stacked, whole.positions)
    np.testing.assert_array_equal(chunks[-1].diverged_at, whole.diverged_at)


def test_final_only_form_ends_where_the_trajectory_ends():
    kwargs = {"starts": {"grid": 6}, "steps": 137, "batch_size": 4, "seed": 2}
    whole = surfaces.simulate("bumpy", ["momentum", "rmsprop"], **kwargs)
    final = surfaces.simulate_final("bumpy", ["momentum", "rmsprop"], **kwargs)
    np.testing.assert_array_equal(final.positions, whole.positions[:, -1])
    np.testing.assert_allclose(final.loss, whole.loss[:, -1], rtol=1e-6)
    np.testing.assert_array_equal(final.diverged_at, whole.diverged_at)


@pytest.mark.parametrize("specialise", [False, True])
def test_long_final_only_runs_end_where_the_trajectories_end_diverged_or_not(specialise):
    # More steps than one end-points chunk holds, starts that diverge early, late and never,
    # minibatch and full batch raced, and two rules (the lecture's and optax's) in one run.
    steps = FINAL_CHUNK_STEPS + CHUNK_STEPS + 37
    cfgs = [preset("momentum", lr=0.0302, lam=0.5), preset("adam", lr=0.05, schedule="cosine", decay_steps=800.0), {"optax": "lion"}]
    # On ½(x² + κy²) with κ = 100, momentum's η·κ = 3.02 > 2(1 + λ): |y| grows by a constant factor
    # a step, so a start diverges when it leaves the box, later the nearer it starts to y = 0;
    # starts on the valley floor (y = 0) never do.
    rng = np.random.default_rng(0)
    starts = np.concatenate([rng.uniform(-2, 2, (36, 2)), [[1.0, 0.0], [-1.5, 0.0], [0.5, 0.0], [2.0, 0.0]]]).astype(np.float32)
    starts[:36, 1] *= np.logspace(-30, 0, 36)
    kwargs = {"starts": starts, "steps": steps, "batch_size": [None, 8, 4], "seed": 3, "surface_params": {"kappa": 100.0, "noise": 0.0}}
    whole = surfaces.simulate("narrow_valley", cfgs, specialise=specialise, **kwargs)
    final = surfaces.simulate_final("narrow_valley", cfgs, specialise=specialise, **kwargs)
    assert (whole.diverged_at[0, -4:] == -1).all() and whole.diverged_at[0].max() > FINAL_CHUNK_STEPS
    np.testing.assert_array_equal(final.diverged_at, whole.diverged_at)
    np.testing.assert_array_equal(final.positions, whole.positions[:, -1])
    # The end points' gradient norm is taken on the host, which keeps subnormal squares that
    # XLA flushes to zero: equal but for gradients below ~1e-18.
    np.testing.assert_allclose(final.grad_norm, whole.grad_norm[:, -1], rtol=1e-6, atol=1e-17)
    np.testing.assert_allclose(final.loss, whole.loss[:, -1], rtol=1e-6)


def test_two_sets_of_record_buffers_give_one_sets_bits_and_each_is_reused(monkeypatch):
    # With two sets of record buffers the next chunk is computed while the host reads one;
    # with one, the chunks alternate.  Same run both ways (several chunks, starts diverging
    # across chunk boundaries, a minibatch configuration raced with a full-batch one), bit
    # for bit; and each set's buffers are reused chunk after chunk (a NumPy view kept past
    # its chunk would make every chunk allocate afresh and hide the donation failing).
    cfgs = [preset("momentum", lr=0.0302, lam=0.5), preset("adam", lr=0.05)]
    rng = np.random.default_rng(1)
    starts = rng.uniform(-2, 2, (40, 2)).astype(np.float32)
    starts[:, 1] *= np.logspace(-30, 0, 40)
    valley = {"kappa": 100.0, "noise": 0.0}
    kwargs = {"starts": starts, "steps": 5 * CHUNK_STEPS + 11, "batch_size": [None, 8], "seed": 3, "surface_params": valley}

    def stream() -> tuple[list, set]:
        chunks, addresses = [], set()
        for ch in surfaces.simulate_chunks("narrow_valley", cfgs, copy=False, **kwargs):
            if ch.t0 > 0:
                addresses.add(ch.positions.__array_interface__["data"][0])
            chunks.append((ch.t0, ch.t1, np.array(ch.positions), np.array(ch.loss), np.array(ch.grad_norm), ch.diverged_at.copy()))
            del ch
        return chunks, addresses

    two, two_sets = stream()
    monkeypatch.setattr(engine, "OVERLAP_MAX_BYTES", 0)
    one, one_set = stream()
    assert (len(two_sets), len(one_set)) == (2, 1)
    assert [c[:2] for c in two] == [c[:2] for c in one] and len(two) == 7
    for a, b in zip(two, one, strict=True):
        for x, y in zip(a[2:], b[2:], strict=True):
            np.testing.assert_array_equal(x, y)
    diverged = two[-1][-1][0]
    assert (diverged > CHUNK_STEPS).any() and (diverged == -1).any()  # across chunk boundaries, and never
    whole = surfaces.simulate("narrow_valley", cfgs, **kwargs)
    np.testing.assert_array_equal(np.concatenate([c[2] for c in two]).transpose(1, 0, 2, 3), whole.positions)


def test_the_engine_specialises_throughput_runs_and_not_interactive_ones():
    from errorscape.surfaces.engine import SPECIALISED_FROM_STARTS, RunSpec, prepare
    from errorscape.surfaces.rules import LECTURE, rule_key

    adam = preset("adam")
    specialised = rule_key(adam, specialised=True)

    def rule(**kwargs) -> tuple:
        (group,) = prepare(RunSpec("saddle", adam, steps=1, **kwargs)).groups
        return group.kernel_key.rule

    assert rule(starts={"random": SPECIALISED_FROM_STARTS - 1}) == LECTURE
    assert rule(starts={"random": SPECIALISED_FROM_STARTS}) == specialised
    assert rule(starts={"random": SPECIALISED_FROM_STARTS}, specialise=False) == LECTURE
    assert rule(starts={"random": 8}, specialise=True) == specialised
    with pytest.raises(ValueError, match="specialise"):
        prepare(RunSpec("saddle", adam, specialise="yes"))  # type: ignore[arg-type]
    # End points only are throughput work: simulate_final compiles the specialised programs.
    surfaces.simulate_final("saddle", adam, {"random": 8}, 3)
    before = surfaces.compilation_count()
    surfaces.simulate_final("saddle", adam, {"random": 8}, 3, specialise=True)
    assert surfaces.compilation_count() == before


def test_same_seed_same_run_and_seeds_matter():
    kwargs = {"starts": {"random": 16}, "steps": 50, "batch_size": 2}
    a = surfaces.simulate("narrow_valley", "sgd", seed=3, **kwargs)
    b = surfaces.simulate("narrow_valley", "sgd", seed=3, **kwargs)
    c = surfaces.simulate("narrow_valley", "sgd", seed=4, **kwargs)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.array_equal(a.positions[0, -1], c.positions[0, -1])


def test_compare_mode_runs_each_configuration_as_if_alone():
    configs = [preset("sgd", lr=0.02), preset("adam", lr=0.1), preset("nesterov", lr=0.01)]
    kwargs = {"starts": {"random": 11}, "steps": 60, "batch_size": 8, "seed": 1}
    together = surfaces.simulate("bumpy", configs, **kwargs)
    for c, cfg in enumerate(configs):
        alone = surfaces.simulate("bumpy", cfg, **kwargs)
        np.testing.assert_allclose(together.positions[c], alone.positions[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("surface", ["himmelblau", "sharp_flat"])
def test_adding_starts_changes_no_other_start(surface):
    # Other buckets, other compiled shapes: still the same bits (see surfaces/determinism.py).
    starts = np.random.default_rng(0).uniform(-2, 2, size=(600, 2)).astype(np.float32)
    many = surfaces.simulate(surface, ["adam", "sgd"], starts, 60)
    for n in (3, bucket(3) + 1, 25, 100):
        few = surfaces.simulate(surface, ["adam", "sgd"], starts[:n], 60)
        np.testing.assert_array_equal(few.positions, many.positions[:, :, :n])


def test_changing_any_hyperparameter_compiles_nothing():
    kwargs = {"starts": {"random": 20}, "batch_size": 4}
    surfaces.simulate("saddle", ["sgd", "adam"], steps=30, **kwargs)
    before = surfaces.compilation_count()
    for cfgs, steps, seed, params in [
        ([preset("momentum", lr=0.3, lam=0.5), preset("adagrad", warmup_steps=5.0, schedule="cosine")], 250, 9, {"noise": 2.0}),
        ([OptimizerConfig(momentum="nesterov", sigma="rmsprop", schedule="inv_sqrt"), preset("rmsprop", alpha=0.5)], 7, 1, {}),
        (
            [OptimizerConfig(momentum="adam", sigma="adagrad", schedule="exponential", decay_rate=0.5, eps=0.1), "sgd"],
            101,
            2,
            {"noise": 0.0},
        ),
    ]:
        surfaces.simulate("saddle", cfgs, steps=steps, seed=seed, surface_params=params, **kwargs)
    assert surfaces.compilation_count() == before


config_strategy = st.builds(
    OptimizerConfig,
    lr=st.floats(1e-4, 10.0),
    momentum=st.sampled_from(MOMENTUM_MODES),
    lam=st.floats(0.0, 0.99),
    beta1=st.floats(0.0, 0.99),
    sigma=st.sampled_from(SIGMA_MODES),
    alpha=st.floats(0.0, 0.99),
    beta2=st.floats(0.0, 0.999),
    eps=st.floats(0.0, 1e-2),
    schedule=st.sampled_from(SCHEDULES),
    decay_rate=st.floats(0.5, 1.0),
    decay_steps=st.floats(1.0, 100.0),
    warmup_steps=st.floats(0.0, 20.0),
)


@given(
    cfg=config_strategy,
    batch=st.sampled_from([None, 1, 3, 64]),
    surface=st.sampled_from(["rosenbrock", "saddle", "sharp_flat", "mse_softmax"]),
)
def test_every_entry_is_finite_before_divergence_and_nan_after(cfg, batch, surface):
    if batch is not None and surfaces.get_surface(surface).data(0).train.shape[0] < batch:
        batch = None
    r = surfaces.simulate(surface, cfg, {"random": 6}, 30, batch_size=batch, seed=1)
    t = np.arange(31)[:, None]
    d = r.diverged_at[0]
    ended = (d >= 0) & (t >= d)
    for arr in (r.loss[0], r.grad_norm[0], r.positions[0, ..., 0], r.positions[0, ..., 1]):
        assert np.isfinite(arr[~ended]).all()
        assert np.isnan(arr[ended]).all()


@given(lr=st.floats(1e-4, 50.0), surface=st.sampled_from(["rosenbrock", "narrow_valley", "two_weight_net", "saddle"]))
def test_zero_gradient_means_plain_sgd_does_not_move(lr, surface):
    point = {"rosenbrock": (1.0, 1.0), "narrow_valley": (0.0, 0.0), "two_weight_net": (0.0, 0.0), "saddle": (0.0, 0.0)}[surface]
    params = {"noise": 0.0} if surface != "two_weight_net" else {}
    r = surfaces.simulate(surface, preset("sgd", lr=lr), np.array([point], np.float32), 25, surface_params=params)
    np.testing.assert_array_equal(r.positions[0, :, 0], np.broadcast_to(point, (26, 2)))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"surface": "nope"}, "surface"),
        ({"surface": 3}, "surface"),
        ({"surface_params": {"kappa": 1e5}}, "surface_params.kappa"),
        ({"surface_params": {"kappa": float("nan")}}, "surface_params.kappa"),
        ({"surface_params": {"kappa": True}}, "surface_params.kappa"),
        ({"surface_params": {"shift": 0.1}}, "surface_params.shift"),
        ({"surface_params": [1]}, "surface_params"),
        ({"optimizers": []}, "optimizers"),
        ({"optimizers": ["sgd"] * 9}, "optimizers"),
        ({"optimizers": ["sgd", {"preset": "adam", "lr": -1}]}, r"optimizers\[1\].lr"),
        ({"optimizers": ["adamw"]}, r"optimizers\[0\]"),
        ({"starts": [[0.0, float("nan")]]}, "starts"),
        ({"starts": [[0.0, 1e30]]}, "starts"),
        ({"starts": [[0.0, 1.0, 2.0]]}, "starts"),
        ({"starts": "a"}, "starts"),
        ({"starts": {"grid": 0}}, "starts.grid"),
        ({"starts": {"random": 10**9}}, "starts.random"),
        ({"starts": {"spiral": 3}}, "starts"),
        ({"steps": 0}, "steps"),
        ({"steps": 10**9}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"steps": True}, "steps"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 65}, "batch_size"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_field(kwargs, field):
    args = {"surface": "narrow_valley", "optimizers": ["sgd"], "starts": None, "steps": 5}
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"^{field}"):
        surfaces.simulate(**args)
    with pytest.raises(ValueError, match=f"^{field}"):
        surfaces.simulate_chunks(**args)  # raises at the call, before any chunk


def test_a_batch_size_per_configuration_races_them_as_separate_runs_would():
    both = surfaces.simulate("sharp_flat", ["sgd", {"preset": "adam", "lr": 0.05}], {"grid": 4}, 50, [None, 4], 3)
    alone_full = surfaces.simulate("sharp_flat", ["sgd"], {"grid": 4}, 50, None, 3)
    alone_four = surfaces.simulate("sharp_flat", [{"preset": "adam", "lr": 0.05}], {"grid": 4}, 50, 4, 3)
    # the full-batch configuration takes the exact full-batch gradient, as alone
    np.testing.assert_array_equal(both.positions[0], alone_full.positions[0])
    # the minibatch one sums a padded batch (zero weights) in another order: float32 round-off
    np.testing.assert_allclose(both.positions[1], alone_four.positions[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(surfaces.FieldError) as err:
        surfaces.simulate("sharp_flat", ["sgd", "adam"], None, 5, [4])
    assert err.value.loc == ("batch_size",)
    with pytest.raises(surfaces.FieldError) as err:
        surfaces.simulate("sharp_flat", ["sgd", "adam"], None, 5, [4, 0])
    assert err.value.loc == ("batch_size", "1")


def specialised_final(surface: str, cfgs: list, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """simulate_final's end points from the program specialised on the modes."""
    from errorscape.surfaces.engine import RunSpec, _group_final, prepare

    prep = prepare(RunSpec(surface, cfgs, specialise=True, **kwargs))
    assert len(prep.groups) == 1
    positions, _, _, diverged_at = _group_final(prep, prep.groups[0])
    return positions, diverged_at


@pytest.mark.parametrize("momentum", MOMENTUM_MODES)
@pytest.mark.parametrize("sigma", SIGMA_MODES)
def test_programs_specialised_on_the_modes_give_the_general_programs_bits(momentum, sigma):
    # The general program selects every branch at run time; the specialised one computes only
    # the modes' branches.  Same operations, same bits.
    cfgs = [
        OptimizerConfig(lr=0.02, momentum=momentum, sigma=sigma, schedule="cosine", warmup_steps=3.0, decay_steps=40.0),
        OptimizerConfig(lr=0.005, momentum=momentum, sigma=sigma, eps=0.0, schedule="exponential", decay_rate=0.9),
    ]
    for batch in (None, 4):
        kwargs = {"starts": {"random": 9}, "steps": 40, "batch_size": batch, "seed": 5}
        general = surfaces.simulate_final("bumpy", cfgs, **kwargs)
        positions, diverged_at = specialised_final("bumpy", cfgs, **kwargs)
        np.testing.assert_array_equal(positions, general.positions)
        np.testing.assert_array_equal(diverged_at, general.diverged_at)


def test_a_specialised_program_compiles_once_per_mode_pair_not_per_value():
    kwargs = {"starts": {"random": 20}, "steps": 30}
    specialised_final("saddle", [preset("adam", lr=0.1)], **kwargs)
    before = surfaces.compilation_count()
    specialised_final("saddle", [preset("adam", lr=0.3, beta2=0.9, schedule="cosine")], **kwargs)
    assert surfaces.compilation_count() == before
    specialised_final("saddle", [preset("rmsprop")], **kwargs)  # another mode pair: its own program
    assert surfaces.compilation_count() > before
    from errorscape.surfaces.rules import LECTURE, rule_key

    assert rule_key(preset("adam")) == LECTURE and rule_key(preset("adam"), specialised=True) == (*LECTURE, 3, 3)
