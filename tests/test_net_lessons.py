"""Every network lesson's claim, measured on the scene's own request: the request the page sends
(net_lessons.lab_spec, the twin of labstate.js labRequest) trained through errorscape.nets as
the server trains it (nets_lab.lab_args), checked against what the scene's text says."""

from __future__ import annotations

import numpy as np
import pytest

from errorscape import nets
from errorscape.server.lessons import GUIDE, LESSONS
from errorscape.server.net_lessons import EDGE_LR, LAB_CHARTS, NET_LESSONS, lab_spec
from errorscape.server.nets_lab import LabArgs, lab_args


def scene(lesson: str, key: str) -> dict:
    entry = next(e for e in NET_LESSONS if e["id"] == lesson)
    return next(s for s in entry["scenes"] if s["id"] == key)


def args_of(lesson: str, key: str) -> LabArgs:
    return lab_args(lab_spec(scene(lesson, key)["lab"]))


def trained(lesson: str, key: str, checkpoints: bool = False) -> tuple[LabArgs, nets.NetRun]:
    a = args_of(lesson, key)
    return a, nets.train(**a.train_kwargs(), checkpoints=checkpoints)


def final(run: nets.NetRun, measure: str = "train_loss") -> np.ndarray:
    """The median over networks at the last record, per configuration (what the page shows)."""
    return np.nanmedian(getattr(run, measure)[:, -1], axis=-1)


def test_every_scene_is_well_formed_and_in_three_languages() -> None:
    ids = [e["id"] for e in LESSONS + NET_LESSONS]
    assert len(ids) == len(set(ids))
    for entry in NET_LESSONS:
        assert entry["scenes"]
        for sc in entry["scenes"]:
            assert sc["chart"] in LAB_CHARTS
            assert set(sc["text"]) == {"en", "zh-TW", "zh-CN"} and all(sc["text"].values())
            lab_args(lab_spec(sc["lab"]))  # within the lab's limits


def test_the_guide_opens_a_network_scene_on_every_branch_of_the_lecture() -> None:
    net_ids = {e["id"] for e in NET_LESSONS}
    branches = {}

    def walk(b: dict) -> None:
        branches[b["id"]] = b["lessons"]
        for child in b["children"]:
            walk(child)

    walk(GUIDE["root"])
    for branch in ("model-bias", "optimization", "overfitting", "mismatch"):
        assert net_ids & set(branches[branch]), branch


def test_model_bias_linear_plateaus_where_the_network_does_not() -> None:
    _, linear = trained("net-model-bias", "linear")
    _, mlp = trained("net-model-bias", "network")
    lin = np.nanmedian(linear.train_loss[0], axis=-1)
    assert 0.2 < lin[-1] < 0.3  # "around 0.24"
    half = len(lin) // 2
    assert abs(lin[half] - lin[-1]) < 0.05 * lin[-1]  # flat from half-time
    assert final(mlp)[0] < 0.06 and lin[-1] > 4 * final(mlp)[0]  # "about 0.03"


def test_optimisation_deep_plain_stalls_at_ln2_and_batch_norm_fixes_it() -> None:
    shallow = final(trained("net-optimization", "shallow")[1])[0]
    _, deep_run = trained("net-optimization", "deep")
    deep = final(deep_run)[0]
    deep_bn = final(trained("net-optimization", "deep-batch-norm")[1])[0]
    assert shallow < 0.6
    assert abs(deep - np.log(2)) < 0.03
    assert np.nanmedian(deep_run.grad_norm[0, -1]) < 0.05  # "the gradient norm is tiny"
    assert deep_bn < shallow


def test_overfitting_few_points_and_early_stopping_many_points_close_the_gap() -> None:
    _, few = trained("net-overfitting", "few-points")
    _, many = trained("net-overfitting", "many-points")
    train, test = np.nanmedian(few.train_loss[0], axis=-1), np.nanmedian(few.test_loss[0], axis=-1)
    assert train[-1] < 0.01 * test[-1]
    best = int(np.argmin(test))
    assert 0 < best < len(test) // 2 and test[best] < 0.7 * test[-1]  # the lowest test loss came early
    gap_few = test[-1] - train[-1]
    gap_many = final(many, "test_loss")[0] - final(many)[0]
    assert gap_many < 0.25 * gap_few


def test_mismatch_a_shifted_test_set_stays_bad() -> None:
    _, matched = trained("net-mismatch", "matched")
    _, shifted = trained("net-mismatch", "shifted")
    assert final(matched, "test_loss")[0] < 0.2
    assert final(shifted)[0] < 0.2  # the training loss "as small as before"
    assert final(shifted, "test_loss")[0] > 1.0 and final(shifted, "test_acc")[0] < 0.8


def test_flat_minima_small_batch_ends_flatter_and_better_on_the_shifted_test_set() -> None:
    a, run = trained("net-flat-minima", "race")
    assert list(a.batch_size) == [16, 512]
    lam = [float(np.median(nets.sharpness(a.task, a.model, run.final[c]))) for c in range(2)]
    assert lam[1] > 1.5 * lam[0]
    train = final(run)
    assert train[1] < 0.1 and train[0] < 0.1  # both reach a small training loss
    test = final(run, "test_loss")
    assert test[1] > 1.1 * test[0]


def test_edge_of_stability_full_batch_sharpness_climbs_to_two_over_eta() -> None:
    a, run = trained("net-edge-of-stability", "edge", checkpoints=True)
    assert a.batch_size == [len(a.task.y_train)]
    assert run.checkpoints is not None
    lam = nets.sharpness(a.task, a.model, run.checkpoints[0])  # [K, N]
    edge = 2 / EDGE_LR
    assert np.median(lam[0]) < 0.9 * edge
    late = lam[len(lam) // 2 :]
    assert 0.9 * edge < np.median(late) < 1.05 * edge


def test_critical_points_mostly_flat_and_lower_loss_more_positive_curvature() -> None:
    a, run = trained("net-critical-points", "ratio")
    h = nets.hessian(a.task, a.model, run.final[0])
    assert np.median(h.flat_share) > 0.5
    # the homework's literal count: the ratio plus about half the flat directions (round-off)
    assert abs(np.median(h.positive_share) - np.median(h.minimum_ratio + h.flat_share / 2)) < 0.1
    loss = run.train_loss[0, -1]
    ranks = lambda v: np.argsort(np.argsort(v))  # noqa: E731
    assert np.corrcoef(ranks(loss), ranks(h.minimum_ratio))[0, 1] < -0.2


def test_warm_up_lets_adam_start_the_deep_network() -> None:
    _, run = trained("net-warmup", "race")
    last = run.train_loss[:, -1]
    stalled = np.mean(np.isnan(last) | (last > 0.2), axis=-1)
    assert stalled[0] >= 0.2 and stalled[1] <= 0.1
    assert final(run)[1] < 0.7 * final(run)[0]


def test_saturation_cross_entropy_moves_mse_does_not() -> None:
    _, ce = trained("net-saturation", "cross-entropy")
    _, mse = trained("net-saturation", "mse")
    ce0, ce1 = np.median(ce.train_loss[0, 0]), final(ce)[0]
    assert ce0 > 100 and ce1 < 0.1 and final(ce, "train_acc")[0] > 0.9  # "hundreds", "a few hundredths"
    mse0, mse1 = np.median(mse.train_loss[0, 0]), final(mse)[0]
    assert mse1 > 0.9 * mse0 and final(mse, "train_acc")[0] < 0.7


def test_batch_norm_lowers_initial_sharpness_and_trains_at_eta_one() -> None:
    a_plain, plain = trained("net-batch-norm", "plain", checkpoints=True)
    a_bn, bn = trained("net-batch-norm", "batch-norm", checkpoints=True)
    assert plain.checkpoints is not None and bn.checkpoints is not None
    lam_plain = np.median(nets.sharpness(a_plain.task, a_plain.model, plain.checkpoints[0, 0]))
    lam_bn = np.median(nets.sharpness(a_bn.task, a_bn.model, bn.checkpoints[0, 0]))
    assert lam_bn < 0.7 * lam_plain
    assert abs(final(plain)[0] - np.log(2)) < 0.05
    assert final(bn)[0] < 0.25


@pytest.mark.parametrize("bad", [{"steps": 0}, {"networks": 10**6}, {"task": {"name": "nope"}}])
def test_a_bad_scene_is_refused(bad: dict) -> None:
    state = {**scene("net-model-bias", "linear")["lab"], **bad}
    with pytest.raises(ValueError):
        lab_spec(state)
