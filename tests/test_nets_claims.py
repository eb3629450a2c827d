"""The lecture's claims about real networks, each measured on small networks trained by the
dozen.  Sizes are the suite's short versions; thresholds sit well inside what was measured
(the figures are in the comments: median over networks unless said otherwise)."""

from __future__ import annotations

import numpy as np

from errorscape import nets


def median(a: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.nanmedian(a, axis=axis)


def ranks(a: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(a)).astype(float)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


MOONS = nets.task("moons", n_train=256, n_test=256)


def test_1_model_bias_a_linear_model_plateaus_where_a_network_does_not() -> None:
    # measured: linear 0.235 (0.240 at step 500), 2×16 0.029
    linear = nets.train(MOONS, nets.Model(hidden=()), "adam", networks=8, steps=1000, batch_size=32, record_every=100, checkpoints=False)
    mlp = nets.train(MOONS, nets.Model(hidden=(16, 16)), "adam", networks=8, steps=1000, batch_size=32, record_every=100, checkpoints=False)
    lin, net = median(linear.train_loss[0]), median(mlp.train_loss[0])
    assert lin[-1] > 4 * net[-1]
    assert abs(lin[5] - lin[-1]) < 0.05 * lin[-1]  # a plateau: the second half of training changes nothing


def test_2_optimisation_a_deeper_plain_network_trains_worse_and_batch_norm_fixes_it() -> None:
    # measured (1,000 steps): 2×16 sigmoid 0.24, 10×16 sigmoid 0.69 (= ln 2: nothing learnt), 10×16 + BN 0.06
    sgd = {"preset": "sgd", "lr": 0.5}
    final = {}
    for name, model in {
        "shallow": nets.Model(hidden=(16, 16), activation="sigmoid"),
        "deep": nets.Model(hidden=(16,) * 10, activation="sigmoid"),
        "deep_bn": nets.Model(hidden=(16,) * 10, activation="sigmoid", norm="batch"),
    }.items():
        run = nets.train(MOONS, model, sgd, networks=8, steps=600, batch_size=32, record_every=600, checkpoints=False)
        final[name] = float(median(run.train_loss[0, -1]))
    assert final["deep"] > final["shallow"] + 0.2  # more layers, higher *training* loss: not overfitting
    assert final["deep"] > 0.6
    assert final["deep_bn"] < 0.5 * final["shallow"]


def test_3_overfitting_few_points_small_train_loss_large_test_loss_and_early_stopping() -> None:
    # measured: 32 points: train 1.5e-5, test 1.26 (its minimum 0.46 at step 10); 1,024 points: train 0.16, test 0.26
    wide, adam = nets.Model(hidden=(128, 128)), {"preset": "adam", "lr": 0.003}
    few = nets.task("moons", n_train=32, n_test=512, noise=0.3)
    many = nets.task("moons", n_train=1024, n_test=512, noise=0.3)
    r_few = nets.train(few, wide, adam, networks=8, steps=1000, batch_size=32, record_every=10, checkpoints=False)
    r_many = nets.train(many, wide, adam, networks=8, steps=1000, batch_size=32, record_every=100, checkpoints=False)
    train_few, test_few = median(r_few.train_loss[0]), median(r_few.test_loss[0])
    assert train_few[-1] < 0.01 * test_few[-1]
    best = int(np.argmin(test_few))
    assert 0 < best < len(test_few) - 1 and test_few[best] < 0.7 * test_few[-1]  # stopping early would have been better
    gap_few = test_few[-1] - train_few[-1]
    gap_many = median(r_many.test_loss[0, -1]) - median(r_many.train_loss[0, -1])
    assert gap_many < 0.25 * gap_few


def test_4_mismatch_a_shifted_test_set_stays_bad_however_many_points() -> None:
    # measured (shift 0.8): 64 points: test 4.4, 1,024 points: test 2.2 (accuracy 0.65) while unshifted test ≈ 0.1
    model = nets.Model(hidden=(32, 32))
    test_loss = {}
    for n in (64, 1024):
        for shift in (0.0, 0.8):
            task = nets.task("moons", n_train=n, n_test=512, shift=shift)
            run = nets.train(task, model, "adam", networks=8, steps=1500, batch_size=32, record_every=1500, checkpoints=False)
            test_loss[n, shift] = float(median(run.test_loss[0, -1]))
            if shift:
                assert median(run.test_acc[0, -1]) < 0.8
    assert test_loss[1024, 0.0] < test_loss[64, 0.0]  # more data helps the matched test set ...
    assert test_loss[1024, 0.8] > 5 * test_loss[1024, 0.0]  # ... not the shifted one
    assert test_loss[1024, 0.8] > 1.0


def test_5_hw2_2_minimum_ratio_at_critical_points_of_many_networks() -> None:
    # measured (32 networks 1-16-16-1 ReLU on sine; ‖∇L‖ 7e-4 → 1.6e-4 median): flat share 0.93, minimum
    # ratio 0.04–0.09, the homework's count of λ > 0 0.53–0.55, per-layer blocks PSD to 2e-8,
    # Spearman(loss, minimum ratio) −0.52
    sine = nets.task("sine", n_train=128, n_test=128)
    model = nets.Model(hidden=(16, 16), loss="mse")
    run = nets.train(sine, model, {"preset": "adam", "lr": 0.01}, networks=32, steps=1500, batch_size=128, record_every=500)
    assert run.checkpoints is not None
    # networks stopped at different times: a spread of training losses
    thetas = np.concatenate([run.checkpoints[0, 1, :10], run.checkpoints[0, 2, 10:20], run.checkpoints[0, 3, 20:]])
    before = np.concatenate([run.grad_norm[0, 1, :10], run.grad_norm[0, 2, 10:20], run.grad_norm[0, 3, 20:]])
    crit = nets.minimize_grad_norm(sine, model, thetas, steps=2000)
    assert median(crit.grad_norm) < 0.4 * median(before) and median(crit.grad_norm) < 3e-4
    h = nets.hessian(sine, model, crit.params)
    assert median(h.flat_share) > 0.5  # most directions are flat: a ReLU net on 128 points is degenerate
    # counting λ > 0 literally, as the homework does, adds about half the flat directions (round-off signs)
    assert abs(median(h.positive_share) - median(h.minimum_ratio + h.flat_share / 2)) < 0.1
    # per-layer blocks of a ReLU network under MSE are Gauss–Newton blocks: positive semi-definite, so
    # their count of λ > 0 is curvature plus round-off, never a sign of a saddle
    for block in h.blocks:
        ix = np.array(block)
        sub = np.linalg.eigvalsh(h.matrix[:, ix[:, None], ix[None, :]])
        assert np.all(sub[:, 0] >= -1e-5 * np.abs(sub).max(axis=1))
    assert np.all(h.per_layer_ratio >= h.minimum_ratio)
    assert spearman(crit.train_loss, h.minimum_ratio) < -0.2  # lower loss, more positive curvature


def test_6_large_batches_end_sharper_and_generalise_worse_under_a_shift() -> None:
    # measured (16 networks, SGD 0.2): equal epochs (100): λmax small batch 1.25, full batch 2.81;
    # equal updates (3,200): full batch λmax 3.98, shifted test loss 0.58 vs small batch 0.48
    task = nets.task("moons", n_train=512, n_test=512, shift=0.3)
    model, sgd = nets.Model(hidden=(16, 16)), {"preset": "sgd", "lr": 0.2}
    small = nets.train(task, model, sgd, networks=16, steps=3200, batch_size=16, record_every=3200, checkpoints=False)
    large_epochs = nets.train(task, model, sgd, networks=16, steps=100, batch_size=512, record_every=100, checkpoints=False)
    large_updates = nets.train(task, model, sgd, networks=16, steps=3200, batch_size=512, record_every=3200, checkpoints=False)
    lam_small = nets.sharpness(task, model, small.final[0])
    for large in (large_epochs, large_updates):
        lam_large = nets.sharpness(task, model, large.final[0])
        assert np.mean(lam_large > median(lam_small)) >= 0.75
        assert median(lam_large) > 1.5 * median(lam_small)
    # trained to the same training loss, the sharp solutions do worse on the shifted test set
    assert median(large_updates.train_loss[0, -1]) < 1.5 * median(small.train_loss[0, -1])
    assert median(large_updates.test_loss[0, -1]) > 1.1 * median(small.test_loss[0, -1])


def test_7_edge_of_stability_full_batch_sharpness_rises_to_two_over_eta_and_stays() -> None:
    # measured (η = 0.5, 2/η = 4): full batch λmax 3.3 → 3.8–4.3 from step 1,500 on (one spike of 4.65);
    # batch 8: 2.0–2.6
    sine = nets.task("sine", n_train=64, n_test=64)
    model = nets.Model(hidden=(32, 32), activation="tanh", loss="mse", init_scale=0.5)
    eta = 0.5
    edge = 2 / eta
    full = nets.train(sine, model, {"preset": "sgd", "lr": eta}, networks=4, steps=3000, batch_size=64, record_every=150)
    small = nets.train(sine, model, {"preset": "sgd", "lr": eta}, networks=4, steps=3000, batch_size=8, record_every=150)
    assert full.checkpoints is not None and small.checkpoints is not None
    lam_full = nets.sharpness(sine, model, full.checkpoints[0])  # [K, N]
    lam_small = nets.sharpness(sine, model, small.checkpoints[0])
    assert median(lam_full[0]) < 0.9 * edge
    late = lam_full[len(lam_full) // 2 :]
    assert 0.9 * edge < median(late.ravel()) < 1.05 * edge  # at the edge ...
    assert np.mean(late > 1.1 * edge) <= 0.1  # ... and not above it (brief overshoots are how it self-corrects)
    assert lam_small[len(lam_small) // 2 :].max() < 0.8 * edge
    assert np.all(full.diverged_at == -1)


def test_8_warm_up_lets_adam_start_a_deep_network_that_stalls_without_it() -> None:
    # measured (16 networks 8×32 tanh, Adam η = 0.01, 800 steps): without warm-up 6 of 16 stall above
    # 0.2 (median 0.145); with 200 steps of warm-up none (median 0.068)
    model = nets.Model(hidden=(32,) * 8, activation="tanh")
    configs = [{"preset": "adam", "lr": 0.01}, {"preset": "adam", "lr": 0.01, "warmup_steps": 200}]
    run = nets.train(MOONS, model, configs, networks=16, steps=800, batch_size=32, record_every=800, checkpoints=False)
    final = run.train_loss[:, -1]
    stalled = np.mean(np.isnan(final) | (final > 0.2), axis=-1)
    assert stalled[0] >= 0.2 and stalled[1] <= 0.1
    assert median(final[1]) < 0.7 * median(final[0])


def test_9_mse_stalls_where_cross_entropy_moves_from_a_saturated_start() -> None:
    # measured (init weights × 8): cross-entropy 245 → 0.04 (accuracy 0.99); MSE 1.0 → 1.0 (accuracy 0.5)
    result = {}
    for loss in ("ce", "mse"):
        model = nets.Model(hidden=(16, 16), loss=loss, init_scale=8.0)
        sgd = {"preset": "sgd", "lr": 0.1}
        run = nets.train(MOONS, model, sgd, networks=8, steps=600, batch_size=32, record_every=600, checkpoints=False)
        assert run.checkpoints is None
        result[loss] = (median(run.train_loss[0, 0]), median(run.train_loss[0, -1]), median(run.train_acc[0, -1]))
    ce0, ce1, ce_acc = result["ce"]
    mse0, mse1, mse_acc = result["mse"]
    assert ce1 < 0.05 * ce0 and ce_acc > 0.9
    assert mse1 > 0.9 * mse0 and mse_acc < 0.7


def test_10_batch_norm_lowers_lambda_max_of_badly_scaled_features_and_takes_a_larger_eta() -> None:
    # measured (second feature × 10): λmax at init 17.4 plain vs 8.8 with BN; SGD η = 1: plain 0.69 (stuck), BN 0.10
    task = nets.task("moons", n_train=256, n_test=256, feature_scale=10.0)
    lam, final = {}, {}
    for norm in ("none", "batch"):
        model = nets.Model(hidden=(16, 16), norm=norm)
        lam[norm] = median(nets.sharpness(task, model, model.init(task, 8)))
        sgd = {"preset": "sgd", "lr": 1.0}
        run = nets.train(task, model, sgd, networks=8, steps=400, batch_size=32, record_every=400, checkpoints=False)
        final[norm] = median(run.train_loss[0, -1])
    assert lam["batch"] < 0.7 * lam["none"]
    assert final["none"] > 0.5 and final["batch"] < 0.25
