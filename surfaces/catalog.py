"""The built-in surfaces, each a mean of per-example losses over a generated data set.

Three families of data keep a minibatch a real sample while letting the full-batch surface
be the exact formula the lecture draws:

* additive noise — example i is a centred noise vector e_i and loss_i(θ) = f(θ) + s·e_i·θ.
  The mean over the whole set is exactly f (the e_i come in ± pairs), a batch of size B sees
  f plus a random tilt whose size shrinks like 1/√B.  ``noise`` is the parameter s.
* shifted copies — loss_i(θ) = f(θ − c_i): each example moves the landscape a little, so a
  sharp minimum moves more, in loss, than a flat one (the small-batch lecture point).
* real regression — examples are (features, target) rows.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from errorscape.surfaces.registry import Array, CriticalPoint, Param, Params, Surface, register

N_EXAMPLES = 64  # a power of two, so the minibatch shuffle is a cheap exact bijection


def _paired_noise(rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
    """n two-dimensional noise vectors in ± pairs: their mean is exactly zero."""
    half = rng.normal(0.0, scale, size=(n // 2, 2))
    return np.concatenate([half, -half], axis=0)


def _noise_data(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    return _paired_noise(rng, N_EXAMPLES), None


def _dot(a: Array, b: Array) -> Array:
    """a·b for short vectors, written out.  jnp.dot would do: but under the engine's vmap
    over configurations, starts and examples a dot of two short vectors becomes a batched
    matrix product, which XLA runs as a library call of its own, never fused with the rest
    of the step (on sharp_flat it made a step 8× slower)."""
    total = a[0] * b[0]
    for i in range(1, a.shape[0]):
        total = total + a[i] * b[i]
    return total


def _tilt(e: Array, theta: Array) -> Array:
    return _dot(e[:2], theta)


def noise_surface(f, **kwargs) -> Surface:
    """A surface f(θ) + noise·e·θ whose batch mean has the closed form f(θ) + noise·ē·θ."""

    def example_loss(theta: Array, example: Array, params: Params) -> Array:
        return f(theta, params) + params["noise"] * _tilt(example, theta)

    def reduced_loss(theta: Array, mean_stats: Array, params: Params) -> Array:
        return f(theta, params) + params["noise"] * _tilt(mean_stats, theta)

    return Surface(
        example_loss=example_loss,
        example_stats=lambda examples: examples,
        reduced_loss=reduced_loss,
        make_data=_noise_data,
        **kwargs,
    )


def noise_param(default: float) -> Param:
    return Param(
        "noise",
        0.0,
        5.0,
        default,
        "size of the per-example gradient noise (0: every batch sees the exact surface)",
        (("en", "minibatch noise"), ("zh-TW", "小批次雜訊"), ("zh-CN", "小批次噪声")),
    )


# --- narrow_valley -----------------------------------------------------------------------


def _valley(theta: Array, params: Params) -> Array:
    x, y = theta[0], theta[1]
    return 0.5 * (x * x + params["kappa"] * y * y)


register(
    noise_surface(
        _valley,
        name="narrow_valley",
        titles={"en": "Narrow valley", "zh-TW": "狹長山谷", "zh-CN": "狭长山谷"},
        descriptions={
            "en": "A convex valley, steep across and flat along: L = ½(x² + κy²). κ is the Hessian's condition number. "
            "A fixed learning rate either bounces between the walls or crawls along the floor.",
            "zh-TW": "凸的狹長山谷：L = ½(x² + κy²)，κ 是 Hessian 的條件數。固定的學習率不是在山壁間震盪，就是在谷底幾乎不動。",
            "zh-CN": "凸的狭长山谷：L = ½(x² + κy²)，κ 是 Hessian 的条件数。固定的学习率不是在山壁间震荡，就是在谷底几乎不动。",
        },
        params=(
            # κ = 180 with the sgd preset's η = 0.01: η·κ = 1.8, so a first visit sees the zigzag
            # across the valley the lecture draws (η·κ = 1 would cross it in one step: an L).
            Param(
                "kappa",
                1.0,
                1000.0,
                180.0,
                "condition number of the Hessian",
                (("en", "κ (condition number)"), ("zh-TW", "κ（條件數）"), ("zh-CN", "κ（条件数）")),
            ),
            noise_param(0.5),
        ),
        domain=((-6.0, 6.0), (-2.0, 2.0)),
        critical_points=(CriticalPoint((0.0, 0.0), "minimum"),),
        default_starts=((-5.0, 1.5), (5.0, -1.0), (-4.0, -1.8)),
        lecture="Narrow convex valley: a fixed learning rate oscillates or crawls; adaptive σ and scheduling fix it (002)",
        basin_radius=0.2,
    )
)

# --- saddle ------------------------------------------------------------------------------


def _saddle(theta: Array, params: Params) -> Array:
    x, y = theta[0], theta[1]
    # x² − y² near the origin; the quartic keeps the loss bounded below far away.
    return x * x - y * y + 0.25 * y**4


_SQRT2 = math.sqrt(2.0)
register(
    noise_surface(
        _saddle,
        name="saddle",
        titles={"en": "Saddle point", "zh-TW": "鞍點", "zh-CN": "鞍点"},
        descriptions={
            "en": "L = x² − y² + y⁴/4: a saddle at the origin (gradient zero, Hessian eigenvalues 2 and −2) "
            "between two minima at y = ±√2. Gradient descent started on the ridge stays; noise or the "
            "negative-eigenvalue direction gets it out.",
            "zh-TW": "L = x² − y² + y⁴/4：原點是鞍點（梯度為零，Hessian 特徵值 2 與 −2），兩旁 y = ±√2 是最小值。"
            "從山脊出發的梯度下降會停住；雜訊或沿負特徵值的方向能逃出。",
            "zh-CN": "L = x² − y² + y⁴/4：原点是鞍点（梯度为零，Hessian 特征值 2 与 −2），两旁 y = ±√2 是最小值。"
            "从山脊出发的梯度下降会停住；噪声或沿负特征值的方向能逃出。",
        },
        params=(noise_param(0.3),),
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        critical_points=(
            CriticalPoint((0.0, 0.0), "saddle"),
            CriticalPoint((0.0, _SQRT2), "minimum"),
            CriticalPoint((0.0, -_SQRT2), "minimum"),
        ),
        default_starts=((2.5, 0.0), (-2.0, 0.0), (2.0, 0.05)),
        lecture="Saddle point: gradient zero but not a minimum; escape along the Hessian's negative eigenvector (000, 001, 004)",
        basin_radius=0.3,
    )
)

# --- bumpy -------------------------------------------------------------------------------


def _bumpy(theta: Array, params: Params) -> Array:
    x, y = theta[0], theta[1]
    return 0.1 * (x * x + y * y) + 0.5 * (2.0 - jnp.cos(3.0 * x) - jnp.cos(3.0 * y))


# Along each axis the ripple minima sit where 0.2·x + 1.5·sin(3x) = 0, near 2πk/3.
_RIPPLE = (-3.99, -2.0, 0.0, 2.0, 3.99)
register(
    noise_surface(
        _bumpy,
        name="bumpy",
        titles={"en": "Bumpy bowl", "zh-TW": "凹凸的碗", "zh-CN": "凹凸的碗"},
        descriptions={
            "en": "A bowl with ripples: L = 0.1(x² + y²) + ½(2 − cos 3x − cos 3y). Plain gradient descent stops in the "
            "first small dip; momentum can roll over the bumps to the global minimum at the origin.",
            "zh-TW": "有波紋的碗：L = 0.1(x² + y²) + ½(2 − cos 3x − cos 3y)。一般梯度下降停在第一個小坑；動量能滾過小丘，到達原點的全域最小值。",
            "zh-CN": "有波纹的碗：L = 0.1(x² + y²) + ½(2 − cos 3x − cos 3y)。普通梯度下降停在第一个小坑；动量能滚过小丘，到达原点的全局最小值。",
        },
        params=(noise_param(0.3),),
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        critical_points=tuple(CriticalPoint((a, b), "minimum") for a in _RIPPLE for b in _RIPPLE),
        default_starts=((4.2, 3.1), (-3.5, 4.0), (3.0, -4.3)),
        lecture="Momentum: the ball keeps rolling past small bumps and out of critical points (003, 004)",
        basin_radius=0.4,
    )
)

# --- rosenbrock and himmelblau -------------------------------------------------------------


def _rosenbrock(theta: Array, params: Params) -> Array:
    x, y = theta[0], theta[1]
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


register(
    noise_surface(
        _rosenbrock,
        name="rosenbrock",
        titles={"en": "Rosenbrock", "zh-TW": "Rosenbrock 函數", "zh-CN": "Rosenbrock 函数"},
        descriptions={
            "en": "L = (1 − x)² + 100(y − x²)²: a curved, narrow, almost flat valley with its minimum at (1, 1).",
            "zh-TW": "L = (1 − x)² + 100(y − x²)²：彎曲、狹窄、谷底幾乎平坦的山谷，最小值在 (1, 1)。",
            "zh-CN": "L = (1 − x)² + 100(y − x²)²：弯曲、狭窄、谷底几乎平坦的山谷，最小值在 (1, 1)。",
        },
        params=(noise_param(0.0),),
        domain=((-2.0, 2.0), (-1.0, 3.0)),
        critical_points=(CriticalPoint((1.0, 1.0), "minimum"),),
        default_starts=((-1.5, 2.5), (-1.0, -0.5), (1.5, 0.0)),
        lecture="A curved narrow valley: learning rate too large oscillates, too small crawls (002)",
        basin_radius=0.1,
    )
)


def _himmelblau(theta: Array, params: Params) -> Array:
    x, y = theta[0], theta[1]
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


register(
    noise_surface(
        _himmelblau,
        name="himmelblau",
        titles={"en": "Himmelblau", "zh-TW": "Himmelblau 函數", "zh-CN": "Himmelblau 函数"},
        descriptions={
            "en": "L = (x² + y − 11)² + (x + y² − 7)²: four equal minima, one maximum and four saddle points. "
            "Which minimum a start reaches depends on where it starts and on the optimizer.",
            "zh-TW": "L = (x² + y − 11)² + (x + y² − 7)²：四個同樣低的最小值、一個最大值與四個鞍點。走到哪個最小值取決於起點與優化器。",
            "zh-CN": "L = (x² + y − 11)² + (x + y² − 7)²：四个同样低的最小值、一个最大值与四个鞍点。走到哪个最小值取决于起点与优化器。",
        },
        params=(noise_param(0.0),),
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        critical_points=(
            CriticalPoint((3.0, 2.0), "minimum"),
            CriticalPoint((-2.805118, 3.131312), "minimum"),
            CriticalPoint((-3.779310, -3.283186), "minimum"),
            CriticalPoint((3.584428, -1.848126), "minimum"),
            CriticalPoint((-0.270845, -0.923039), "maximum"),
            CriticalPoint((0.086678, 2.884255), "saddle"),
            CriticalPoint((-3.073026, -0.081353), "saddle"),
            CriticalPoint((3.385154, 0.073852), "saddle"),
            CriticalPoint((-0.127961, -1.953715), "saddle"),
        ),
        default_starts=((0.0, 0.0), (-1.0, 4.5), (1.0, -4.5)),
        lecture="Critical points of every kind, told apart by the Hessian's eigenvalues (000, 001, 003)",
        basin_radius=0.3,
    )
)

# --- two_weight_net ----------------------------------------------------------------------


def _net_loss(theta: Array, example: Array, params: Params) -> Array:
    x, target = example[0], example[1]
    return (target - theta[0] * theta[1] * x) ** 2


def _net_stats(examples: Array) -> Array:
    x, target = examples[:, 0], examples[:, 1]
    return jnp.stack([x * x, x * target, target * target], axis=1)


def _net_reduced(theta: Array, mean_stats: Array, params: Params) -> Array:
    w = theta[0] * theta[1]
    return mean_stats[2] - 2.0 * w * mean_stats[1] + w * w * mean_stats[0]


register(
    Surface(
        name="two_weight_net",
        titles={"en": "Two-weight network", "zh-TW": "兩個權重的網路", "zh-CN": "两个权重的网络"},
        descriptions={
            "en": "The lecture's tiny network y = w₁·w₂·x trained on the one example x = 1, ŷ = 1: L = (1 − w₁w₂)². "
            "The origin is a saddle with Hessian [[0, −2], [−2, 0]]; every point of w₁w₂ = 1 is a minimum.",
            "zh-TW": "課堂上的小網路 y = w₁·w₂·x，只用一筆資料 x = 1、ŷ = 1 訓練：L = (1 − w₁w₂)²。"
            "原點是鞍點，Hessian 為 [[0, −2], [−2, 0]]；w₁w₂ = 1 上的每一點都是最小值。",
            "zh-CN": "课堂上的小网络 y = w₁·w₂·x，只用一笔数据 x = 1、ŷ = 1 训练：L = (1 − w₁w₂)²。"
            "原点是鞍点，Hessian 为 [[0, −2], [−2, 0]]；w₁w₂ = 1 上的每一点都是最小值。",
        },
        example_loss=_net_loss,
        example_stats=_net_stats,
        reduced_loss=_net_reduced,
        make_data=lambda rng: (np.array([[1.0, 1.0]]), None),
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        critical_points=(
            CriticalPoint((0.0, 0.0), "saddle"),
            CriticalPoint((1.0, 1.0), "minimum"),
            CriticalPoint((-1.0, -1.0), "minimum"),
        ),
        default_starts=((0.0, 0.0), (-1.5, 1.5), (1.8, -0.2)),
        lecture="A saddle in a real network: y = w1·w2·x, the origin is a saddle (001, 004)",
        # The minima form a curve, so "reached a minimum" is judged by branch: within 1.5 of
        # (1, 1) or of (−1, −1) covers the hyperbola from w₁ ≈ 0.5 to w₁ ≈ 2.3 on each side.
        basin_radius=1.5,
    )
)

# --- sharp_flat --------------------------------------------------------------------------

_SHARP = (-1.5, 0.0, 0.2)  # centre x, centre y, width
_SHARP_DEPTH = 2.5
_SHIFT_NOISE = 0.25
_FLAT = (1.5, 0.0, 0.8)


def _well(p: Array, centre_x: float, centre_y: float, width: float) -> Array:
    d2 = (p[0] - centre_x) ** 2 + (p[1] - centre_y) ** 2
    return jnp.exp(-d2 / (2.0 * width * width))


def _sharp_flat_loss(theta: Array, example: Array, params: Params) -> Array:
    # example = (c_x, c_y, w): the landscape moved by c, and by `shift` along x when w = 1
    # (test examples carry w = 1: the lecture's train/test mismatch).
    offset = jnp.stack([example[0] + example[2] * params["shift"], example[1]])
    p = theta - offset
    return 1.0 + 0.05 * _dot(p, p) - _SHARP_DEPTH * _well(p, *_SHARP) - _well(p, *_FLAT)


def _sharp_flat_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    train = np.concatenate([_paired_noise(rng, N_EXAMPLES, _SHIFT_NOISE), np.zeros((N_EXAMPLES, 1))], axis=1)
    test = np.concatenate([_paired_noise(rng, N_EXAMPLES, _SHIFT_NOISE), np.ones((N_EXAMPLES, 1))], axis=1)
    return train, test


register(
    Surface(
        name="sharp_flat",
        titles={"en": "Sharp and flat minima", "zh-TW": "尖銳與平坦的最小值", "zh-CN": "尖锐与平坦的最小值"},
        descriptions={
            "en": "Two minima: a sharp canyon on the left, a little deeper on the training data, and a flat basin on the right. The test data "
            "is the training data moved by `shift`: the sharp minimum's test loss rises far more. Small batches are "
            "noisy enough to jump out of the canyon.",
            "zh-TW": "兩個最小值：左邊是尖銳的峽谷（在訓練資料上略深），右邊是平坦的盆地。測試資料是訓練資料平移 shift："
            "尖銳最小值的測試 loss 上升得多。小批次的雜訊大，能跳出峽谷。",
            "zh-CN": "两个最小值：左边是尖锐的峡谷（在训练数据上略深），右边是平坦的盆地。测试数据是训练数据平移 shift："
            "尖锐最小值的测试 loss 上升得多。小批次的噪声大，能跳出峡谷。",
        },
        example_loss=_sharp_flat_loss,
        make_data=_sharp_flat_data,
        params=(
            Param(
                "shift",
                0.0,
                1.0,
                0.3,
                "how far the test data is moved from the training data, along x",
                (("en", "test data shift"), ("zh-TW", "測試資料偏移"), ("zh-CN", "测试数据偏移")),
            ),
        ),
        domain=((-3.0, 3.0), (-2.0, 2.0)),
        critical_points=(
            CriticalPoint((-1.48, 0.0), "minimum"),
            CriticalPoint((1.38, 0.0), "minimum"),
            CriticalPoint((-0.99, 0.0), "saddle"),
        ),
        default_starts=((-2.5, 1.0), (0.0, 1.5), (2.5, -1.0)),
        lecture="Small batches prefer flat minima, which generalise better under train/test mismatch (000, 001, 004)",
        basin_radius=0.4,
    )
)

# --- mse_softmax / ce_softmax --------------------------------------------------------------

_Y3 = -1000.0  # the third logit, fixed so low that exp(y3) ≈ 0, as in the lecture


def _softmax(theta: Array) -> Array:
    return jax.nn.softmax(jnp.stack([theta[0], theta[1], jnp.asarray(_Y3, theta.dtype)]))


def _mse_loss(theta: Array, example: Array, params: Params) -> Array:
    diff = example - _softmax(theta)
    return _dot(diff, diff)


def _ce_loss(theta: Array, example: Array, params: Params) -> Array:
    logits = jnp.stack([theta[0], theta[1], jnp.asarray(_Y3, theta.dtype)])
    return -_dot(example, jax.nn.log_softmax(logits))


def _one_target(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    return np.array([[1.0, 0.0, 0.0]]), None  # one example of class 1


for _name, _loss, _titles, _descr in (
    (
        "mse_softmax",
        _mse_loss,
        {"en": "Mean square error over softmax", "zh-TW": "Softmax 之後的均方誤差", "zh-CN": "Softmax 之后的均方误差"},
        {
            "en": "Loss of a 3-class softmax over logits (y₁, y₂), y₃ fixed very low, target class 1, measured by MSE. "
            "Where y₂ ≫ y₁ the surface is a flat plateau: the gradient is almost zero and training stalls.",
            "zh-TW": "三類 softmax 的 loss，對 logits (y₁, y₂)，y₃ 固定很低，目標是第 1 類，用 MSE 計算。y₂ ≫ y₁ 處是平坦高原：梯度幾乎為零，訓練卡住。",
            "zh-CN": "三类 softmax 的 loss，对 logits (y₁, y₂)，y₃ 固定很低，目标是第 1 类，用 MSE 计算。y₂ ≫ y₁ 处是平坦高原：梯度几乎为零，训练卡住。",
        },
    ),
    (
        "ce_softmax",
        _ce_loss,
        {"en": "Cross-entropy over softmax", "zh-TW": "Softmax 之後的交叉熵", "zh-CN": "Softmax 之后的交叉熵"},
        {
            "en": "The same softmax and target as the MSE surface, measured by cross-entropy: where MSE is a plateau, "
            "cross-entropy still has slope, so gradient descent gets out.",
            "zh-TW": "與 MSE 相同的 softmax 與目標，改用交叉熵：MSE 是高原的地方，交叉熵仍有斜率，梯度下降走得出來。",
            "zh-CN": "与 MSE 相同的 softmax 与目标，改用交叉熵：MSE 是高原的地方，交叉熵仍有斜率，梯度下降走得出来。",
        },
    ),
):
    register(
        Surface(
            name=_name,
            titles=_titles,
            descriptions=_descr,
            example_loss=_loss,
            make_data=_one_target,
            domain=((-10.0, 10.0), (-10.0, 10.0)),
            default_starts=((-8.0, 8.0), (-5.0, 5.0), (0.0, 0.0)),
            lecture="MSE vs cross-entropy over softmax outputs: MSE gets stuck on a plateau (003)",
        )
    )

# --- feature_scale -----------------------------------------------------------------------

_FEATURE_SCALES = (1.0, 10.0)
_TRUE_WEIGHTS = (1.5, 0.2)


def _features(example: Array, normalize: Array) -> Array:
    raw, standardised = example[0:2], example[2:4]
    return raw + normalize * (standardised - raw)


def _feature_loss(theta: Array, example: Array, params: Params) -> Array:
    u = _features(example, params["normalize"])
    residual = _dot(theta, u) - example[4]
    return 0.5 * residual * residual


def _feature_stats(examples: Array) -> Array:
    v, t = examples[:, 0:4], examples[:, 4]
    outer = (v[:, :, None] * v[:, None, :]).reshape(v.shape[0], 16)
    return jnp.concatenate([outer, v * t[:, None], (t * t)[:, None]], axis=1)


def _feature_reduced(theta: Array, mean_stats: Array, params: Params) -> Array:
    a = params["normalize"]
    # u = A·v with A = [(1 − a)·I, a·I], so mean ½(θ·u − t)² = ½θᵀA M Aᵀθ − θᵀA b + ½c.
    w = jnp.concatenate([(1.0 - a) * theta, a * theta])  # Aᵀθ
    second = mean_stats[0:16].reshape(4, 4)
    cross = mean_stats[16:20]
    second_w = jnp.stack([_dot(second[i], w) for i in range(4)])
    return 0.5 * _dot(w, second_w) - _dot(w, cross) + 0.5 * mean_stats[20]


def _feature_data(rng: np.random.Generator) -> tuple[np.ndarray, None]:
    raw = rng.normal(0.0, 1.0, size=(N_EXAMPLES, 2)) * np.array(_FEATURE_SCALES)
    standardised = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    target = raw @ np.array(_TRUE_WEIGHTS) + rng.normal(0.0, 0.1, size=N_EXAMPLES)
    return np.concatenate([raw, standardised, target[:, None]], axis=1), None


register(
    Surface(
        name="feature_scale",
        titles={"en": "Feature scale", "zh-TW": "特徵尺度", "zh-CN": "特征尺度"},
        descriptions={
            "en": "Linear regression on two features, the second ten times larger than the first: the error surface is "
            "a valley a hundred times steeper one way. `normalize` = 1 standardises the features (what batch "
            "normalisation does inside a network) and the valley turns nearly round.",
            "zh-TW": "兩個特徵的線性迴歸，第二個特徵比第一個大十倍：誤差曲面在一個方向陡一百倍。normalize = 1 把特徵標準化"
            "（批次標準化在網路裡做的事），山谷變得接近圓形。",
            "zh-CN": "两个特征的线性回归，第二个特征比第一个大十倍：误差曲面在一个方向陡一百倍。normalize = 1 把特征标准化"
            "（批次标准化在网络里做的事），山谷变得接近圆形。",
        },
        example_loss=_feature_loss,
        example_stats=_feature_stats,
        reduced_loss=_feature_reduced,
        make_data=_feature_data,
        params=(
            Param(
                "normalize",
                0.0,
                1.0,
                0.0,
                "0: raw features; 1: standardised features",
                (("en", "normalise features (0 → 1)"), ("zh-TW", "特徵標準化（0 → 1）"), ("zh-CN", "特征标准化（0 → 1）")),
            ),
        ),
        domain=((-1.0, 4.0), (-1.0, 4.0)),
        critical_points=(CriticalPoint((1.5, 0.2), "minimum"),),
        default_starts=((-0.5, 3.5), (3.5, 3.5), (3.5, -0.5)),
        lecture="Batch normalisation makes the error surface less elongated (003)",
        basin_radius=0.2,
    )
)
