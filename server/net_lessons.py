"""The lessons about real networks: each of the lecture's claims that needs a network, shown in
the network lab (errorscape.nets), one scene per setting.

A scene's ``lab`` is the lab's state as the page holds it (static/js/labstate.js): the task, the
model, the configurations raced (the surfaces' configuration format), the run's sizes.
:func:`lab_spec` turns it into the request the page sends; tests/test_net_lessons.py trains
every scene's request through errorscape.nets and checks the claim its text makes.
"""

from __future__ import annotations

from typing import Any

from errorscape.server.lessons import Text, _text, config, lesson
from errorscape.server.nets_lab import LAB_CHARTS
from errorscape.server.nets_models import LabSpec


def lab(
    task: dict[str, Any],
    model: dict[str, Any],
    configs: list[dict[str, Any]],
    *,
    networks: int = 16,
    steps: int = 1000,
    batch: int = 32,
    batches: list[int | None] | None = None,
    seed: int = 0,
    plane: str = "pca",
) -> dict[str, Any]:
    """A scene's lab state; ``batch`` 0 is full batch; checked by :func:`lab_spec`."""
    state = {
        "task": {"n_train": 256, "n_test": 256, **task},
        "model": {"hidden": [16, 16], **model},
        "configs": configs,
        "active": 0,
        "batch": batch,
        "batches": list(batches or []),
        "networks": networks,
        "steps": steps,
        "seed": seed,
        "selected": {"config": 0, "network": 0},
        "plane": plane,
    }
    lab_spec(state)
    return state


def lab_spec(state: dict[str, Any]) -> LabSpec:
    """The request the page makes of a lab state (labstate.js labRequest): each configuration
    with decay_steps = steps, batch size 0 → full batch (null), one size when all agree."""
    steps = state["steps"]
    own = state.get("batches") or []
    sizes = [own[i] if i < len(own) and own[i] is not None else state["batch"] for i in range(len(state["configs"]))]
    batch: Any = [b if b > 0 else None for b in sizes]
    if all(b == sizes[0] for b in sizes):
        batch = sizes[0] if sizes[0] > 0 else None
    optimizers = [c if "optax" in c else {**c, "decay_steps": max(1, steps)} for c in state["configs"]]
    return LabSpec.model_validate(
        {
            "task": state["task"],
            "model": state["model"],
            "optimizers": optimizers,
            "networks": state["networks"],
            "steps": steps,
            "batch_size": batch,
            "seed": state["seed"],
        }
    )


def net_scene(key: str, lab_state: dict[str, Any], text: Text, *, chart: str = "acc") -> dict[str, Any]:
    if chart not in LAB_CHARTS:
        raise ValueError(f"a network scene's chart is one of {LAB_CHARTS}")
    return {"id": key, "state": {}, "lab": lab_state, "text": text, "analyze": None, "chart": chart}


# Settings a lesson's scenes and its test share.
MOONS = {"name": "moons"}
ADAM = config("adam", lr=0.01)
DEEP_SGD = config("sgd", lr=0.5)
OVERFIT_TASK = {"name": "moons", "noise": 0.3, "n_test": 512}
OVERFIT_MODEL = {"hidden": [128, 128]}
KESKAR_TASK = {"name": "moons", "n_train": 512, "n_test": 512, "shift": 0.3}
EDGE_LR = 0.5
SINE = {"name": "sine", "n_train": 64, "n_test": 64}

NET_LESSONS: list[dict[str, Any]] = [
    lesson(
        "net-model-bias",
        _text("Model bias: a line cannot bend", "模型偏差：直線彎不過去", "模型偏差：直线弯不过去"),
        _text(
            "When the training loss is large and a more flexible model does better, the model is too simple.",
            "訓練 loss 很大、而更有彈性的模型做得更好時，是模型太簡單。",
            "训练 loss 很大、而更有弹性的模型做得更好时，是模型太简单。",
        ),
        [
            net_scene(
                "linear",
                lab(MOONS, {"hidden": []}, [ADAM]),
                _text(
                    "A linear model (no hidden layer) on the two moons, 16 initialisations. The training loss flattens out "
                    "around 0.24 by half-time and stays there: the boundary on the left is a straight line, and no optimizer "
                    "can bend it. This is model bias, not bad optimisation.",
                    "線性模型（沒有隱藏層）學雙月形，16 個初始化。訓練 loss 在一半時間就平在 0.24 左右不再下降：左圖的邊界是一條直線，"
                    "什麼優化器都彎不了它。這是模型偏差，不是優化不好。",
                    "线性模型（没有隐藏层）学双月形，16 个初始化。训练 loss 在一半时间就平在 0.24 左右不再下降：左图的边界是一条直线，"
                    "什么优化器都弯不了它。这是模型偏差，不是优化不好。",
                ),
                chart="acc",
            ),
            net_scene(
                "network",
                lab(MOONS, {"hidden": [16, 16]}, [ADAM]),
                _text(
                    "The same data, optimizer and steps with two hidden layers of 16: the training loss falls to about 0.03 "
                    "and the boundary follows the moons. The lecture's fix for model bias: a more flexible model.",
                    "同樣的資料、優化器與步數，換成兩層各 16 個神經元：訓練 loss 降到約 0.03，邊界沿著月形彎曲。課堂對模型偏差的解法："
                    "更有彈性的模型。",
                    "同样的数据、优化器与步数，换成两层各 16 个神经元：训练 loss 降到约 0.03，边界沿着月形弯曲。课堂对模型偏差的解法："
                    "更有弹性的模型。",
                ),
                chart="acc",
            ),
        ],
    ),
    lesson(
        "net-optimization",
        _text("Optimisation: a deeper network trains worse", "優化問題：更深的網路訓練得更差", "优化问题：更深的网络训练得更差"),
        _text(
            "A deeper network can express everything a shallow one can; when its training loss is higher, the optimizer is to blame.",
            "深的網路能表達淺網路能表達的一切；它的訓練 loss 反而更高時，問題在優化。",
            "深的网络能表达浅网络能表达的一切；它的训练 loss 反而更高时，问题在优化。",
        ),
        [
            net_scene(
                "shallow",
                lab(MOONS, {"hidden": [16, 16], "activation": "sigmoid"}, [DEEP_SGD], steps=600),
                _text(
                    "Two sigmoid layers of 16, plain SGD with η = 0.5: the training loss falls well below ln 2 ≈ 0.69.",
                    "兩層各 16 個 sigmoid，SGD η = 0.5：訓練 loss 明顯降到 ln 2 ≈ 0.69 以下。",
                    "两层各 16 个 sigmoid，SGD η = 0.5：训练 loss 明显降到 ln 2 ≈ 0.69 以下。",
                ),
                chart="grad",
            ),
            net_scene(
                "deep",
                lab(MOONS, {"hidden": [16] * 10, "activation": "sigmoid"}, [DEEP_SGD], steps=600),
                _text(
                    "Ten layers of 16, the same training: the loss stays at ln 2 ≈ 0.69, a coin toss, and the gradient norm "
                    "(‖g‖ tab) is tiny. The deeper network is not overfitting — its *training* loss is the higher one. It is "
                    "stuck on a plateau.",
                    "十層各 16 個，同樣的訓練：loss 停在 ln 2 ≈ 0.69，等於亂猜，梯度範數（‖g‖ 分頁）極小。更深的網路不是過擬合——"
                    "它的*訓練* loss 更高。它卡在高原上。",
                    "十层各 16 个，同样的训练：loss 停在 ln 2 ≈ 0.69，等于乱猜，梯度范数（‖g‖ 分页）极小。更深的网络不是过拟合——"
                    "它的*训练* loss 更高。它卡在高原上。",
                ),
                chart="grad",
            ),
            net_scene(
                "deep-batch-norm",
                lab(MOONS, {"hidden": [16] * 10, "activation": "sigmoid", "norm": "batch"}, [DEEP_SGD], steps=600),
                _text(
                    "The same ten layers with batch normalisation after each: now the training loss falls below the shallow "
                    "network's. The model was never the problem; the error surface was.",
                    "同樣十層，每層後加上批次正規化：訓練 loss 比淺網路還低。問題從來不在模型，而在誤差曲面。",
                    "同样十层，每层后加上批归一化：训练 loss 比浅网络还低。问题从来不在模型，而在误差曲面。",
                ),
                chart="grad",
            ),
        ],
    ),
    lesson(
        "net-overfitting",
        _text(
            "Overfitting: small training loss, large test loss", "過擬合：訓練 loss 小，測試 loss 大", "过拟合：训练 loss 小，测试 loss 大"
        ),
        _text(
            "A flexible model on few points fits them, noise included; more data closes the gap, and stopping early helps.",
            "有彈性的模型學很少的點，連雜訊都學進去；更多資料能縮小差距，提早停止也有幫助。",
            "有弹性的模型学很少的点，连噪声都学进去；更多数据能缩小差距，提早停止也有帮助。",
        ),
        [
            net_scene(
                "few-points",
                lab({**OVERFIT_TASK, "n_train": 32}, OVERFIT_MODEL, [config("adam", lr=0.003)], networks=8),
                _text(
                    "Two layers of 128 on 32 noisy points: the training loss (solid) goes to almost 0 while the test loss "
                    "(dotted) turns round and climbs. Its lowest point came early: stopping there (early stopping) would "
                    "have been better.",
                    "兩層各 128 個神經元，只學 32 個有雜訊的點：訓練 loss（實線）幾乎降到 0，測試 loss（虛線）卻回頭上升。"
                    "它的最低點出現得很早：在那裡停下（early stopping）會更好。",
                    "两层各 128 个神经元，只学 32 个有噪声的点：训练 loss（实线）几乎降到 0，测试 loss（虚线）却回头上升。"
                    "它的最低点出现得很早：在那里停下（early stopping）会更好。",
                ),
                chart="acc",
            ),
            net_scene(
                "many-points",
                lab({**OVERFIT_TASK, "n_train": 1024}, OVERFIT_MODEL, [config("adam", lr=0.003)], networks=8),
                _text(
                    "The same network on 1,024 points: the gap between training and test loss shrinks to a fraction. "
                    "The lecture's first fix for overfitting: more data.",
                    "同樣的網路學 1,024 個點：訓練與測試 loss 的差距縮小到一小部分。課堂對過擬合的第一個解法：更多資料。",
                    "同样的网络学 1,024 个点：训练与测试 loss 的差距缩小到一小部分。课堂对过拟合的第一个解法：更多数据。",
                ),
                chart="acc",
            ),
        ],
    ),
    lesson(
        "net-mismatch",
        _text("Mismatch: the test data come from elsewhere", "不匹配：測試資料來自別處", "不匹配：测试数据来自别处"),
        _text(
            "When the test data are shifted, more training data do not help: the model learnt the wrong world.",
            "測試資料平移了，更多訓練資料也沒用：模型學的是另一個世界。",
            "测试数据平移了，更多训练数据也没用：模型学的是另一个世界。",
        ),
        [
            net_scene(
                "matched",
                lab({"name": "moons", "n_train": 1024, "n_test": 512}, {"hidden": [32, 32]}, [ADAM], networks=8, steps=1500),
                _text(
                    "1,024 training points, test points from the same moons: training and test loss both end small.",
                    "1,024 個訓練點，測試點來自同樣的月形：訓練與測試 loss 都很小。",
                    "1,024 个训练点，测试点来自同样的月形：训练与测试 loss 都很小。",
                ),
                chart="acc",
            ),
            net_scene(
                "shifted",
                lab({"name": "moons", "n_train": 1024, "n_test": 512, "shift": 0.8}, {"hidden": [32, 32]}, [ADAM], networks=8, steps=1500),
                _text(
                    "The test points moved 0.8 to the right (the crosses on the left): the training loss is as small as "
                    "before, the test loss is above 1 and the test accuracy under 0.8. More of the same training data would "
                    "not change that; data like the test data would.",
                    "測試點往右移了 0.8（左圖的叉叉）：訓練 loss 和之前一樣小，測試 loss 卻超過 1，測試正確率低於 0.8。"
                    "再多同樣的訓練資料也改變不了；要的是像測試資料的資料。",
                    "测试点往右移了 0.8（左图的叉叉）：训练 loss 和之前一样小，测试 loss 却超过 1，测试正确率低于 0.8。"
                    "再多同样的训练数据也改变不了；要的是像测试数据的数据。",
                ),
                chart="acc",
            ),
        ],
    ),
    lesson(
        "net-flat-minima",
        _text("Small batches end in flatter minima", "小批次停在較平坦的最小值", "小批次停在较平坦的最小值"),
        _text(
            "Trained to the same training loss, small-batch networks end where the loss is flatter (smaller λmax), and a "
            "shifted test set hurts them less.",
            "訓練到相同的訓練 loss，小批次的網路停在較平坦（λmax 較小）的地方，平移的測試集對它們傷害較小。",
            "训练到相同的训练 loss，小批次的网络停在较平坦（λmax 较小）的地方，平移的测试集对它们伤害较小。",
        ),
        [
            net_scene(
                "race",
                lab(
                    KESKAR_TASK,
                    {"hidden": [16, 16]},
                    [config("sgd", lr=0.2), config("sgd", lr=0.2)],
                    networks=8,
                    steps=3200,
                    batches=[16, 0],
                ),
                _text(
                    "SGD η = 0.2 from the same initialisations, batch 16 against full batch (512), 3,200 updates each: both "
                    "reach a small training loss. The side panel gives each configuration's median λmax at the end — larger "
                    "for full batch — and its test loss on a test set shifted by 0.3, larger for full batch too.",
                    "SGD η = 0.2，相同的初始化，批次 16 對全批次（512），各 3,200 次更新：兩者訓練 loss 都很小。側欄列出每個設定最後的"
                    " λmax 中位數——全批次較大——以及在平移 0.3 的測試集上的 loss，也是全批次較大。",
                    "SGD η = 0.2，相同的初始化，批次 16 对全批次（512），各 3,200 次更新：两者训练 loss 都很小。侧栏列出每个设置最后的"
                    " λmax 中位数——全批次较大——以及在平移 0.3 的测试集上的 loss，也是全批次较大。",
                ),
                chart="sharpness",
            ),
        ],
    ),
    lesson(
        "net-edge-of-stability",
        _text("Full-batch GD climbs to the edge: λmax ≈ 2/η", "全批次 GD 爬到邊緣：λmax ≈ 2/η", "全批次 GD 爬到边缘：λmax ≈ 2/η"),
        _text(
            "A step of η is stable only where the curvature λmax is below "
            "2/η; gradient descent drives λmax up to that edge and stays there.",
            "步長 η 只在曲率 λmax 小於 2/η 的地方穩定；梯度下降把 λmax 推到這個邊緣並停在那裡。",
            "步长 η 只在曲率 λmax 小于 2/η 的地方稳定；梯度下降把 λmax 推到这个边缘并停在那里。",
        ),
        [
            net_scene(
                "edge",
                lab(
                    SINE,
                    {"hidden": [32, 32], "activation": "tanh", "loss": "mse", "init_scale": 0.5},
                    [config("sgd", lr=EDGE_LR)],
                    networks=4,
                    steps=3000,
                    batch=0,
                ),
                _text(
                    "Full-batch gradient descent, η = 0.5, fitting sin(5πx)/(5πx). The λmax chart: the picked network's "
                    "sharpness starts below 2/η = 4 (dashed), rises to it, swings above and below it while the loss "
                    "jumps (the lecture's oscillating learning rate, seen from the network's side), and settles on it. "
                    "With a small batch it stays lower.",
                    "全批次梯度下降，η = 0.5，擬合 sin(5πx)/(5πx)。λmax 圖：所選網路的尖銳度從 2/η = 4（虛線）以下開始，"
                    "升到那裡，在 loss 跳動時於其上下擺盪（從網路這邊看課堂上震盪的學習率），最後停在它上面。用小批次則停得較低。",
                    "全批次梯度下降，η = 0.5，拟合 sin(5πx)/(5πx)。λmax 图：所选网络的尖锐度从 2/η = 4（虚线）以下开始，"
                    "升到那里，在 loss 跳动时于其上下摆荡（从网络这边看课堂上震荡的学习率），最后停在它上面。用小批次则停得较低。",
                ),
                chart="sharpness",
            ),
        ],
    ),
    lesson(
        "net-critical-points",
        _text("Where real networks stop: the minimum ratio", "真實網路停在哪裡：最小比例", "真实网络停在哪里：最小比例"),
        _text(
            "At a network's end point most Hessian eigenvalues are almost 0; "
            "among the rest, lower loss goes with a larger share of positive ones.",
            "網路終點的 Hessian 特徵值大多接近 0；其餘的當中，loss 越低，正特徵值的比例越大。",
            "网络终点的 Hessian 特征值大多接近 0；其余的当中，loss 越低，正特征值的比例越大。",
        ),
        [
            net_scene(
                "ratio",
                lab(
                    {"name": "sine", "n_train": 128, "n_test": 128},
                    {"hidden": [8, 8], "loss": "mse"},
                    [ADAM],
                    networks=32,
                    steps=3000,
                    batch=0,
                ),
                _text(
                    "32 ReLU networks fitting sin(5πx)/(5πx), the homework's figure: one dot per network, its final training "
                    "loss against its minimum ratio (share of eigenvalues clearly above 0). The Spectrum tab shows why the "
                    "ratio is small: most directions are flat (λ ≈ 0). Counting λ > 0 literally, as the homework does, adds "
                    "about half of those flat ones by round-off.",
                    "32 個 ReLU 網路擬合 sin(5πx)/(5πx)，作業的圖：每點一個網路，橫軸是最後的訓練 loss，縱軸是最小比例（明顯大於 0 的特徵值"
                    "比例）。特徵值分頁說明比例為什麼小：大多數方向是平的（λ ≈ "
                    "0）。照作業字面算 λ > 0，會因捨入誤差多算進約一半的平坦方向。",
                    "32 个 ReLU 网络拟合 sin(5πx)/(5πx)，作业的图：每点一个网络，横轴是最后的训练 loss，纵轴是最小比例（明显大于 0 的特征值"
                    "比例）。特征值分页说明比例为什么小：大多数方向是平的（λ ≈ "
                    "0）。照作业字面算 λ > 0，会因舍入误差多算进约一半的平坦方向。",
                ),
                chart="ratio",
            ),
        ],
    ),
    lesson(
        "net-warmup",
        _text("Warm-up lets Adam start a deep network", "Warm-up 讓 Adam 啟動深網路", "Warm-up 让 Adam 启动深网络"),
        _text(
            "Adam's first steps use σ from a handful of gradients; a small η "
            "at the start (warm-up) keeps them from throwing a deep network off.",
            "Adam 的頭幾步用的 σ 只來自少數梯度；一開始用小的 η（warm-up）避免把深網路甩出去。",
            "Adam 的头几步用的 σ 只来自少数梯度；一开始用小的 η（warm-up）避免把深网络甩出去。",
        ),
        [
            net_scene(
                "race",
                lab(MOONS, {"hidden": [32] * 8, "activation": "tanh"}, [ADAM, config("adam", lr=0.01, warmup_steps=200.0)], steps=800),
                _text(
                    "Eight tanh layers of 32, Adam η = 0.01, without and with 200 warm-up steps, from the same 16 "
                    "initialisations. Without warm-up a good share of networks stall (the wide band high up); with it "
                    "they train, and the median final training loss (side panel) is much lower.",
                    "八層各 32 個 tanh，Adam η = 0.01，沒有與有 200 步 warm-up，相同的 16 個初始化。沒有 warm-up 時不少網路卡住"
                    "（高處寬的色帶）；有 warm-up 就訓練得起來，最後訓練 loss 的中位數（側欄）低得多。",
                    "八层各 32 个 tanh，Adam η = 0.01，没有与有 200 步 warm-up，相同的 16 个初始化。没有 warm-up 时不少网络卡住"
                    "（高处宽的色带）；有 warm-up 就训练得起来，最后训练 loss 的中位数（侧栏）低得多。",
                ),
                chart="grad",
            ),
        ],
    ),
    lesson(
        "net-saturation",
        _text(
            "From a saturated start, cross-entropy moves and MSE does not",
            "從飽和的起點，交叉熵能動、MSE 不能",
            "从饱和的起点，交叉熵能动、MSE 不能",
        ),
        _text(
            "With huge initial weights the softmax is saturated: the mean "
            "squared error's gradient vanishes there, cross-entropy's does not.",
            "初始權重很大時 softmax 飽和：均方誤差在那裡梯度消失，交叉熵不會。",
            "初始权重很大时 softmax 饱和：均方误差在那里梯度消失，交叉熵不会。",
        ),
        [
            net_scene(
                "cross-entropy",
                lab(MOONS, {"hidden": [16, 16], "loss": "ce", "init_scale": 8.0}, [config("sgd", lr=0.1)], networks=8, steps=600),
                _text(
                    "Initial weights × 8, cross-entropy, SGD η = 0.1: the loss starts in the hundreds and falls to a few "
                    "hundredths; accuracy above 0.9.",
                    "初始權重 × 8，交叉熵，SGD η = 0.1：loss 從數百開始，降到百分之幾；正確率超過 0.9。",
                    "初始权重 × 8，交叉熵，SGD η = 0.1：loss 从数百开始，降到百分之几；正确率超过 0.9。",
                ),
                chart="acc",
            ),
            net_scene(
                "mse",
                lab(MOONS, {"hidden": [16, 16], "loss": "mse", "init_scale": 8.0}, [config("sgd", lr=0.1)], networks=8, steps=600),
                _text(
                    "The same start with the mean squared error over the softmax: the loss hardly moves and the accuracy stays "
                    "near a coin toss. The surface is flat where the network starts — the lecture's case for cross-entropy.",
                    "同樣的起點，改用 softmax 之後的均方誤差：loss 幾乎不動，"
                    "正確率停在亂猜附近。網路起點處的曲面是平的——課堂上支持交叉熵的理由。",
                    "同样的起点，改用 softmax 之后的均方误差：loss 几乎不动，"
                    "正确率停在乱猜附近。网络起点处的曲面是平的——课堂上支持交叉熵的理由。",
                ),
                chart="acc",
            ),
        ],
    ),
    lesson(
        "net-batch-norm",
        _text("Batch norm smooths badly scaled inputs", "批次正規化撫平尺度不一的輸入", "批归一化抚平尺度不一的输入"),
        _text(
            "Inputs of very different ranges make the error surface steep in one direction; normalising lowers λmax and allows a larger η.",
            "範圍差很多的輸入讓誤差曲面在某方向很陡；正規化降低 λmax，允許更大的 η。",
            "范围差很多的输入让误差曲面在某方向很陡；归一化降低 λmax，允许更大的 η。",
        ),
        [
            net_scene(
                "plain",
                lab({"name": "moons", "feature_scale": 10.0}, {"hidden": [16, 16]}, [config("sgd", lr=1.0)], networks=8, steps=400),
                _text(
                    "The second input feature × 10, SGD η = 1: the λmax chart starts high, and the training loss stays at ln 2 ≈ 0.69.",
                    "第二個輸入特徵 × 10，SGD η = 1：λmax 圖一開始就很高，訓練 loss 停在 ln 2 ≈ 0.69。",
                    "第二个输入特征 × 10，SGD η = 1：λmax 图一开始就很高，训练 loss 停在 ln 2 ≈ 0.69。",
                ),
                chart="sharpness",
            ),
            net_scene(
                "batch-norm",
                lab(
                    {"name": "moons", "feature_scale": 10.0},
                    {"hidden": [16, 16], "norm": "batch"},
                    [config("sgd", lr=1.0)],
                    networks=8,
                    steps=400,
                ),
                _text(
                    "The same with batch normalisation: λmax at the start is lower than the plain network's (the previous "
                    "scene's first point), and within a few steps it sits near 2/η; the same η = 1 now trains — the training "
                    "loss falls far below ln 2.",
                    "加上批次正規化：一開始的 λmax 比一般網路（上一幕的第一個點）低，幾步之內就落到 2/η 附近；"
                    "同樣的 η = 1 就訓練得起來——訓練 loss 遠低於 ln 2。",
                    "加上批归一化：一开始的 λmax 比普通网络（上一幕的第一个点）低，几步之内就落到 2/η 附近；"
                    "同样的 η = 1 就训练得起来——训练 loss 远低于 ln 2。",
                ),
                chart="sharpness",
            ),
        ],
    ),
]


def net_lesson_ids() -> list[str]:
    return [entry["id"] for entry in NET_LESSONS]
