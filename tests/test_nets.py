"""errorscape.nets against references: NumPy forward passes, a plain per-network training loop
with optax, closed-form Hessians, a loop of jitted losses over a plane's grid."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given
from hypothesis import strategies as st

from errorscape import FieldError, nets
from errorscape.nets.model import bind, data, metrics
from errorscape.nets.train import Batches

MOONS = nets.task("moons", n_train=64, n_test=48, seed=3)
MLP = nets.Model(hidden=(8, 6))


# ---- tasks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", nets.TASK_NAMES)
def test_every_task_is_seeded_and_shaped(name: str) -> None:
    a, b, other = nets.task(name, 40, 30, seed=1), nets.task(name, 40, 30, seed=1), nets.task(name, 40, 30, seed=2)
    assert a.x_train.shape == (40, a.input_dim) and a.x_test.shape == (30, a.input_dim)
    assert a.x_train.dtype == np.float32 and np.all(np.isfinite(a.x_train))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, other.x_train)
    if a.kind == "classify":
        assert set(np.unique(a.y_train)) <= set(range(a.classes)) and len(np.unique(a.y_train)) > 1
    else:
        assert a.classes == 0 and a.output_dim == 1


def test_sine_is_the_homework_function() -> None:
    t = nets.task("sine", 200, 10)
    x = t.x_train[:, 0].astype(np.float64)
    np.testing.assert_allclose(t.y_train, np.sin(5 * np.pi * x) / (5 * np.pi * x), rtol=1e-5, atol=1e-6)


def test_shift_moves_only_the_test_inputs_along_the_first_axis() -> None:
    plain, shifted = nets.task("moons", 50, 40, seed=4), nets.task("moons", 50, 40, shift=0.75, seed=4)
    np.testing.assert_array_equal(plain.x_train, shifted.x_train)
    np.testing.assert_allclose(shifted.x_test[:, 0] - plain.x_test[:, 0], 0.75, atol=1e-6)
    np.testing.assert_array_equal(shifted.x_test[:, 1], plain.x_test[:, 1])
    np.testing.assert_array_equal(shifted.y_test, plain.y_test)


def test_label_noise_flips_that_share_to_another_class() -> None:
    clean, noisy = nets.task("blobs", 4000, 10, seed=5), nets.task("blobs", 4000, 10, label_noise=0.3, seed=5)
    flipped = clean.y_train != noisy.y_train
    assert abs(flipped.mean() - 0.3) < 0.03
    np.testing.assert_array_equal(clean.y_test, noisy.y_test)


def test_digits_are_read_from_the_installed_file() -> None:
    t = nets.task("digits", 1000, 797)
    assert t.input_dim == 64 and t.classes == 10 and len(np.unique(t.y_train)) == 10
    # train and test are disjoint draws of the 1,797 images
    rows = {r.tobytes() for r in t.x_train}
    assert sum(r.tobytes() in rows for r in t.x_test) < 20  # a few images are exact duplicates in the data set
    with pytest.raises(FieldError) as err:
        nets.task("digits", 1000, 1000)
    assert err.value.loc == ("n_train",)


@pytest.mark.parametrize(
    ("kwargs", "loc"),
    [
        ({"name": "mnist"}, ("name",)),
        ({"name": "moons", "n_train": 0}, ("n_train",)),
        ({"name": "moons", "n_test": 10**9}, ("n_test",)),
        ({"name": "moons", "noise": float("nan")}, ("noise",)),
        ({"name": "moons", "shift": 1e309}, ("shift",)),
        ({"name": "moons", "label_noise": 2.0}, ("label_noise",)),
        ({"name": "moons", "seed": -1}, ("seed",)),
        ({"name": "moons", "n_train": "512"}, ("n_train",)),
    ],
)
def test_bad_task_arguments_name_their_field(kwargs: dict, loc: tuple) -> None:
    with pytest.raises(FieldError) as err:
        nets.task(**kwargs)
    assert err.value.loc == loc


# ---- the model -------------------------------------------------------------------------------


def numpy_outputs(model: nets.Model, theta: np.ndarray, x: np.ndarray, stats_x: np.ndarray) -> np.ndarray:
    """The MLP written out in NumPy from the documented layout (float64)."""
    act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[model.activation]
    widths = [x.shape[1], *model.hidden, None]
    h, hs, at = x.astype(np.float64), stats_x.astype(np.float64), 0
    n_out = theta.size  # filled below
    for i in range(len(widths) - 1):
        fan_in = widths[i]
        fan_out = widths[i + 1] if widths[i + 1] is not None else None
        if fan_out is None:  # output layer: what is left is fan_in·k + k
            fan_out = (n_out - at) // (fan_in + 1)
        w = theta[at : at + fan_in * fan_out].reshape(fan_in, fan_out)
        b = theta[at + fan_in * fan_out : at + fan_in * fan_out + fan_out]
        at += fan_in * fan_out + fan_out
        h, hs = h @ w + b, hs @ w + b
        if i == len(widths) - 2:
            return h
        if model.norm == "batch":
            g, s = theta[at : at + fan_out], theta[at + fan_out : at + 2 * fan_out]
            at += 2 * fan_out
            mean, var = hs.mean(0), hs.var(0)
            h, hs = (h - mean) / np.sqrt(var + 1e-5) * g + s, (hs - mean) / np.sqrt(var + 1e-5) * g + s
        h, hs = act(h), act(hs)
    raise AssertionError("unreachable")


@pytest.mark.parametrize("norm", ["none", "batch"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_outputs_and_losses_match_numpy(norm: str, activation: str) -> None:
    model = nets.Model(hidden=(5, 4), activation=activation, norm=norm)
    net = bind(model, MOONS)
    theta = model.init(MOONS, 1, seed=7)[0] + 0.1 * np.random.default_rng(0).standard_normal(net.size).astype(np.float32)
    ref = numpy_outputs(model, theta.astype(np.float64), np.concatenate([MOONS.x_train, MOONS.x_test]), MOONS.x_train)
    m = metrics(net, jnp.asarray(theta), data(MOONS))
    n = len(MOONS.y_train)
    logp = ref - np.log(np.exp(ref).sum(1, keepdims=True))
    y = np.concatenate([MOONS.y_train, MOONS.y_test])
    ce = -logp[np.arange(len(y)), y]
    np.testing.assert_allclose(float(m.train_loss), ce[:n].mean(), rtol=2e-5)
    np.testing.assert_allclose(float(m.test_loss), ce[n:].mean(), rtol=2e-5)
    np.testing.assert_allclose(float(m.test_acc), (ref[n:].argmax(1) == y[n:]).mean(), rtol=1e-6)


def test_mse_over_softmax_and_regression_losses() -> None:
    model = nets.Model(hidden=(4,), loss="mse")
    theta = model.init(MOONS, 1, seed=2)[0]
    ref = numpy_outputs(model, theta.astype(np.float64), MOONS.x_train, MOONS.x_train)
    p = np.exp(ref) / np.exp(ref).sum(1, keepdims=True)
    onehot = np.eye(2)[MOONS.y_train]
    m = metrics(bind(model, MOONS), jnp.asarray(theta), data(MOONS))
    np.testing.assert_allclose(float(m.train_loss), ((p - onehot) ** 2).sum(1).mean(), rtol=2e-5)
    sine = nets.task("sine", 30, 30)
    reg = nets.Model(hidden=(4,), loss="mse")
    th = reg.init(sine, 1)[0]
    out = numpy_outputs(reg, th.astype(np.float64), sine.x_train, sine.x_train)[:, 0]
    ms = metrics(bind(reg, sine), jnp.asarray(th), data(sine))
    np.testing.assert_allclose(float(ms.train_loss), ((out - sine.y_train) ** 2).mean(), rtol=2e-5)
    assert math.isnan(float(ms.train_acc))


def test_layout_and_initialisation() -> None:
    model = nets.Model(hidden=(8, 6), norm="batch")
    layers = model.layout(2, 2)
    assert [(la.fan_in, la.fan_out) for la in layers] == [(2, 8), (8, 6), (6, 2)]
    assert model.size(MOONS) == (2 * 8 + 8 + 16) + (8 * 6 + 6 + 12) + (6 * 2 + 2)
    four, two = model.init(MOONS, 4, seed=9), model.init(MOONS, 2, seed=9)
    np.testing.assert_array_equal(four[:2], two)  # network i does not depend on how many are drawn
    assert np.all(four[:, layers[0].scale : layers[0].shift] == 1) and np.all(four[:, layers[0].b : layers[0].scale] == 0)
    w = model.init(MOONS, 400, seed=1)[:, layers[1].w : layers[1].b]
    assert abs(w.std() - math.sqrt(2 / 8)) < 0.02  # He normal for ReLU layers


@pytest.mark.parametrize(
    ("kwargs", "loc"),
    [
        ({"hidden": (0,)}, ("model", "hidden", 0)),
        ({"hidden": "16"}, ("model", "hidden")),
        ({"activation": "elu"}, ("model", "activation")),
        ({"norm": "layer"}, ("model", "norm")),
        ({"init_scale": float("inf")}, ("model", "init_scale")),
    ],
)
def test_bad_model_arguments_name_their_field(kwargs: dict, loc: tuple) -> None:
    with pytest.raises(FieldError) as err:
        nets.Model(**kwargs)
    assert err.value.loc == loc


# ---- training --------------------------------------------------------------------------------


def test_minibatches_are_per_epoch_permutations_per_network() -> None:
    b = Batches(24, 3, seed=1)
    rows = b.rows(0, 12, [4, 6])  # [12 steps, 2 configs, 3 networks, 6]
    for c, size in enumerate((4, 6)):
        per_epoch = 24 // size
        for n in range(3):
            epoch0 = rows[:per_epoch, c, n, :size].ravel()
            assert sorted(epoch0.tolist()) == list(range(24))
            epoch1 = rows[per_epoch : 2 * per_epoch, c, n, :size].ravel()
            assert sorted(epoch1.tolist()) == list(range(24)) and not np.array_equal(epoch0, epoch1)
    assert not np.array_equal(rows[:, 0, 0], rows[:, 0, 1])
    np.testing.assert_array_equal(Batches(24, 1, seed=1).rows(3, 9, [4]), rows[3:9, :1, :1, :4])


def reference_training(theta0: np.ndarray, rows: np.ndarray, tx: optax.GradientTransformation, model: nets.Model) -> np.ndarray:
    """One network, one optax optimizer, a plain jitted step in a Python loop."""
    net = bind(model, MOONS)
    x, y = jnp.asarray(MOONS.x_train), jnp.asarray(MOONS.y_train)

    def loss(t: jax.Array, r: jax.Array) -> jax.Array:
        from errorscape.nets.model import example_losses, outputs

        w = jnp.full((r.shape[0],), 1.0 / r.shape[0])
        return jnp.mean(example_losses(net, outputs(net, t, x[r], w), y[r]))

    @jax.jit
    def step(t: jax.Array, s: optax.OptState, r: jax.Array) -> tuple[jax.Array, optax.OptState]:
        u, s = tx.update(jax.grad(loss)(t, r), s, t)
        return optax.apply_updates(t, u), s

    t, s = jnp.asarray(theta0), tx.init(jnp.asarray(theta0))
    for r in rows:
        t, s = step(t, s, jnp.asarray(r))
    return np.asarray(t)


@pytest.mark.parametrize("norm", ["none", "batch"])
def test_vmapped_training_equals_a_plain_loop_per_network(norm: str) -> None:
    model = nets.Model(hidden=(8, 6), norm=norm)
    configs = ["adam", {"preset": "sgd", "lr": 0.1}, {"optax": "lion", "hyper": {"learning_rate": 0.003}}]
    steps, networks, sizes = 37, 3, [16, 8, 64]
    run = nets.train(MOONS, model, configs, networks=networks, steps=steps, batch_size=sizes, seed=5, record_every=10)
    theta0 = model.init(MOONS, networks, seed=5)
    rows = Batches(64, networks, 5)
    refs = [optax.adam(0.01), optax.sgd(0.1), optax.lion(0.003)]
    # A bias right before a batch norm has a gradient of 0 up to round-off, which Adam and Lion
    # scale up to full steps: those entries follow the round-off, not the rule; compare the rest.
    compared = np.ones(bind(model, MOONS).size, bool)
    for layer in bind(model, MOONS).layers:
        if layer.scale >= 0:
            compared[layer.b : layer.b + layer.fan_out] = False
    for c, (tx, size) in enumerate(zip(refs, sizes, strict=True)):
        r = rows.rows(0, steps, [size])[:, 0]
        for n in range(networks):
            expected = reference_training(theta0[n], r[:, n], tx, model)
            np.testing.assert_allclose(run.final[c, n, compared], expected[compared], rtol=2e-4, atol=2e-5)
    assert list(run.steps) == [0, 10, 20, 30, 37]
    assert run.checkpoints is not None
    np.testing.assert_array_equal(run.checkpoints[:, -1], run.final)
    np.testing.assert_array_equal(run.checkpoints[:, 0], np.broadcast_to(theta0, run.final.shape))


def test_records_are_the_metrics_at_the_checkpoints() -> None:
    run = nets.train(MOONS, MLP, "adam", networks=2, steps=20, batch_size=8, record_every=10)
    net, d = bind(MLP, MOONS), data(MOONS)
    for k in range(3):
        for n in range(2):
            m = metrics(net, jnp.asarray(run.checkpoints[0, k, n]), d)
            np.testing.assert_allclose(run.train_loss[0, k, n], float(m.train_loss), rtol=1e-5)
            np.testing.assert_allclose(run.test_acc[0, k, n], float(m.test_acc))
            g = jax.grad(lambda t: metrics(net, t, d).train_loss)(jnp.asarray(run.checkpoints[0, k, n]))
            np.testing.assert_allclose(run.grad_norm[0, k, n], float(jnp.linalg.norm(g)), rtol=1e-4)


def test_a_configuration_does_not_depend_on_the_others_and_chunks_add_up() -> None:
    both = nets.train(MOONS, MLP, ["sgd", "adam"], networks=2, steps=30, batch_size=[8, 16], record_every=5)
    alone = nets.train(MOONS, MLP, "adam", networks=2, steps=30, batch_size=16, record_every=5)
    np.testing.assert_array_equal(both.final[1], alone.final[0])
    np.testing.assert_array_equal(both.train_loss[1], alone.train_loss[0])
    chunks = list(nets.train_chunks(MOONS, MLP, ["sgd", "adam"], networks=2, steps=30, batch_size=[8, 16], record_every=5))
    assert chunks[0].steps[0] == 0 and chunks[-1].done == 30 == chunks[-1].total
    np.testing.assert_array_equal(np.concatenate([c.train_loss for c in chunks], axis=1), both.train_loss)


def test_a_run_compiles_one_chunk_program_whatever_its_chunks() -> None:
    # The first chunk (step 0's record and a quarter of the windows), the full ones and the
    # last, cut short, are one program: each compile of it costs seconds.
    from errorscape.nets.train import _programs
    from errorscape.surfaces.rules import resolve_optimizers, rule_key

    model = nets.Model(hidden=(5, 3))  # a shape no other test trains
    chunks = list(nets.train_chunks(MOONS, model, "adam", networks=2, steps=450, batch_size=8, record_every=2))
    assert len(chunks) >= 3 and len(chunks[0].steps) < len(chunks[1].steps) and chunks[0].steps[0] == 0
    _, chunk = _programs(bind(model, MOONS), rule_key(resolve_optimizers("adam")[0]), True)
    assert chunk._cache_size() == 1


def test_a_diverged_network_is_nan_from_its_step() -> None:
    # Gradient descent on a least-squares loss with η far above 2/λmax grows geometrically.
    sine, linear = nets.task("sine", 64, 16), nets.Model(hidden=(), loss="mse")
    configs = [{"preset": "sgd", "lr": 90.0}, "sgd"]
    run = nets.train(sine, linear, configs, networks=3, steps=60, batch_size=64, record_every=1, checkpoints=False)
    assert np.all(run.diverged_at[0] >= 0) and np.all(run.diverged_at[1] == -1)
    for n in range(3):
        k = int(run.diverged_at[0, n])
        assert np.all(np.isnan(run.train_loss[0, k:, n])) and np.all(np.isfinite(run.train_loss[0, :k, n]))
    assert np.all(np.isnan(run.final[0])) and run.checkpoints is None


def test_init_replaces_the_initialisation() -> None:
    start = MLP.init(MOONS, 1, seed=11)[0]
    run = nets.train(MOONS, MLP, "sgd", networks=2, steps=1, batch_size=64, init=start, record_every=1)
    np.testing.assert_array_equal(run.checkpoints[0, 0, 1], start)


@pytest.mark.parametrize(
    ("kwargs", "loc"),
    [
        ({"optimizers": "adamm"}, ("optimizers", 0)),
        ({"networks": 0}, ("networks",)),
        ({"steps": 10**9}, ("steps",)),
        ({"batch_size": 65}, ("batch_size",)),
        ({"optimizers": ["sgd", "adam"], "batch_size": [8]}, ("batch_size",)),
        ({"optimizers": ["sgd", "adam"], "batch_size": [8, 0]}, ("batch_size", "1")),
        ({"record_every": 0}, ("record_every",)),
        ({"init": np.zeros(3)}, ("init",)),
        ({"init": np.full(MLP.size(MOONS), np.nan)}, ("init",)),
        ({"networks": 4096, "steps": 100000, "record_every": 1}, ("networks",)),
    ],
)
def test_bad_training_arguments_name_their_field(kwargs: dict, loc: tuple) -> None:
    args = {"optimizers": "sgd", "networks": 2, "steps": 10, "batch_size": 8} | kwargs
    with pytest.raises(FieldError) as err:
        nets.train(MOONS, MLP, **args)
    assert err.value.loc[: len(loc)] == loc


def test_a_regression_task_refuses_cross_entropy() -> None:
    with pytest.raises(FieldError) as err:
        nets.train(nets.task("sine", 20, 20), nets.Model(loss="ce"), "sgd", networks=1, steps=1, batch_size=4)
    assert err.value.loc == ("model", "loss")


# ---- curvature -------------------------------------------------------------------------------


def test_hessian_of_a_linear_regression_is_two_over_n_a_transpose_a() -> None:
    sine = nets.task("sine", 40, 10, seed=2)
    linear = nets.Model(hidden=(), loss="mse")
    h = nets.hessian(sine, linear, np.array([0.3, -0.2], np.float32))
    a = np.concatenate([sine.x_train, np.ones((40, 1))], axis=1).astype(np.float64)
    np.testing.assert_allclose(h.matrix, 2 / 40 * a.T @ a, rtol=1e-5)
    assert h.minimum_ratio == 1.0 and h.flat_share == 0.0


def test_softmax_hessian_is_flat_along_shifts_of_all_logits() -> None:
    """Adding one vector to every class's weights leaves softmax unchanged: a 2-class linear
    model on 2 inputs has P = 6 and exactly 3 flat directions."""
    linear = nets.Model(hidden=())
    h = nets.hessian(MOONS, linear, np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32))
    np.testing.assert_allclose(h.flat_share, 0.5)
    np.testing.assert_allclose(h.minimum_ratio, 0.5)
    assert h.eigenvalues.shape == (4, 6) and np.all(h.lambda_max > 0)


def test_hessian_is_jax_hessian_of_the_training_loss_with_blocks_per_layer() -> None:
    model = nets.Model(hidden=(4,), activation="tanh", norm="batch")
    net, theta = bind(model, MOONS), model.init(MOONS, 1, seed=3)[0]
    h = nets.hessian(MOONS, model, theta)
    from errorscape.nets.model import train_data, train_loss

    d = train_data(MOONS)
    ref = np.asarray(jax.hessian(lambda t: train_loss(net, t, d))(jnp.asarray(theta)), np.float64)
    np.testing.assert_allclose(h.matrix, (ref + ref.T) / 2, rtol=1e-4, atol=1e-6)
    covered = sorted(i for block in h.blocks for i in block)
    assert covered == list(range(net.size))


@given(st.integers(0, 2**16))
def test_sharpness_equals_the_full_hessians_lambda_max(seed: int) -> None:
    theta = MLP.init(MOONS, 2, seed=seed) * np.float32(1 + (seed % 3))
    full = nets.hessian(MOONS, MLP, theta).lambda_max
    np.testing.assert_allclose(nets.sharpness(MOONS, MLP, theta), full, rtol=1e-3)


def test_a_networks_sharpness_does_not_depend_on_the_others_asked_with_it() -> None:
    # Rows are padded to a few compiled sizes and share one start vector: asking for one
    # network, or for it among ten others, gives the same λmax.
    theta = MLP.init(MOONS, 11, seed=4)
    together = nets.sharpness(MOONS, MLP, theta)
    alone = np.array([nets.sharpness(MOONS, MLP, t) for t in theta[[0, 5, 10]]])
    np.testing.assert_allclose(alone, together[[0, 5, 10]], rtol=1e-6)
    assert nets.sharpness(MOONS, MLP, theta[:0]).shape == (0,)


def test_minimising_the_gradient_norm_reaches_a_critical_point() -> None:
    sine, model = nets.task("sine", 64, 8), nets.Model(hidden=(8,), activation="tanh", loss="mse")
    run = nets.train(sine, model, "adam", networks=3, steps=300, batch_size=16, checkpoints=False)
    s = nets.minimize_grad_norm(sine, model, run.final[0], steps=1000)
    ratio = s.grad_norm / run.grad_norm[0, -1]  # measured 0.41, 0.62, 0.17
    assert np.all(ratio < 0.75) and ratio.mean() < 0.5
    assert s.params.shape == run.final[0].shape
    with pytest.raises(FieldError) as err:
        nets.minimize_grad_norm(sine, model, run.final[0], lr=0.0)
    assert err.value.loc == ("lr",)


# ---- planes and lines ------------------------------------------------------------------------


def test_filter_plane_equals_a_loop_of_jitted_losses() -> None:
    center = MLP.init(MOONS, 1, seed=4)[0]
    p = nets.plane(MOONS, MLP, center, kind="filter", n=5, span=0.5, seed=2)
    net, d = bind(MLP, MOONS), data(MOONS)
    loss = jax.jit(lambda t: metrics(net, t, d))
    for j in range(5):
        for i in range(5):
            m = loss(jnp.asarray((center + p.x[i] * p.directions[0] + p.y[j] * p.directions[1]).astype(np.float32)))
            np.testing.assert_allclose(p.train[j, i], float(m.train_loss), rtol=1e-5)
            np.testing.assert_allclose(p.test[j, i], float(m.test_loss), rtol=1e-5)
    # filter normalisation: each unit's incoming weights have the centre's norm; biases are 0
    for layer in net.layers:
        shape = (layer.fan_in, layer.fan_out)
        for k in range(2):
            dw = p.directions[k, layer.w : layer.b].reshape(shape)
            own = np.linalg.norm(center[layer.w : layer.b].reshape(shape), axis=0)
            np.testing.assert_allclose(np.linalg.norm(dw, axis=0), own, rtol=1e-6)
            assert np.all(p.directions[k, layer.b : layer.b + layer.fan_out] == 0)


def test_points_and_pca_planes_hold_their_points_and_paths() -> None:
    run = nets.train(MOONS, MLP, ["sgd", "adam"], networks=1, steps=100, batch_size=16, record_every=10)
    init, ends = run.checkpoints[0, 0, 0], run.final[:, 0]
    p = nets.plane(MOONS, MLP, init, kind="points", points=ends, path=run.checkpoints[1, :, 0], n=9)
    rebuilt = init + p.points_xy @ p.directions
    np.testing.assert_allclose(rebuilt, ends, atol=1e-4)
    for xy in (*p.points_xy, (0.0, 0.0)):
        assert p.x[0] <= xy[0] <= p.x[-1] and p.y[0] <= xy[1] <= p.y[-1]
    np.testing.assert_allclose(p.directions @ p.directions.T, np.eye(2), atol=1e-12)
    q = nets.plane(MOONS, MLP, run.final[1, 0], kind="pca", path=run.checkpoints[1, :, 0], n=9)
    np.testing.assert_allclose(q.directions @ q.directions.T, np.eye(2), atol=1e-12)
    assert q.path_xy is not None and q.path_xy.shape == (11, 2)
    assert np.all(np.abs(q.path_xy[-1]) < 1e-9)  # the trajectory ends at the centre


def test_plane_arguments_are_checked() -> None:
    center = MLP.init(MOONS, 1)[0]
    for kwargs, loc in [
        ({"kind": "random"}, ("kind",)),
        ({"kind": "pca"}, ("path",)),
        ({"kind": "points"}, ("points",)),
        ({"kind": "points", "points": np.stack([center * 2, center * 3])}, ("points",)),
        ({"n": 10**6}, ("n",)),
        ({"span": float("nan")}, ("span",)),
    ]:
        with pytest.raises(FieldError) as err:
            nets.plane(MOONS, MLP, center, **kwargs)
        assert err.value.loc == loc
    with pytest.raises(FieldError):
        nets.plane(MOONS, MLP, center[:-1])


def test_interpolation_passes_through_both_ends() -> None:
    a, b = MLP.init(MOONS, 2, seed=8)
    line = nets.interpolate(MOONS, MLP, a, b, n=101, extend=0.5)
    net, d = bind(MLP, MOONS), data(MOONS)
    assert line.alpha[25] == 0.0 and line.alpha[75] == 1.0
    np.testing.assert_allclose(line.train_loss[25], float(metrics(net, jnp.asarray(a), d).train_loss), rtol=1e-5)
    np.testing.assert_allclose(line.test_loss[75], float(metrics(net, jnp.asarray(b), d).test_loss), rtol=1e-5)
    many = nets.interpolate(MOONS, MLP, np.stack([a, b]), np.stack([b, a]), n=11, extend=0.0)
    np.testing.assert_allclose(many.train_loss[0], many.train_loss[1][::-1], rtol=1e-5)
