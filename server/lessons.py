"""The guided lessons: each lecture claim as a short sequence of scenes, and the lecture's
general guide (the flowchart) linking each branch to the lesson that shows it.

A scene is a preset state of the browser app (the same fields as its URL hash, see
static/js/state.js) plus two or three sentences on what to look at, in the three languages of
the lecture's audience.  Content only: tests/test_lessons.py runs every scene's presets
through the engine and checks the claim its lesson makes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from errorscape.server.app_state import AppState
from errorscape.surfaces.critical import escape_step
from errorscape.surfaces.optimizer import preset
from errorscape.surfaces.registry import get_surface

Text = dict[str, str]  # language -> text


def _text(en: str, zh_tw: str, zh_cn: str) -> Text:
    return {"en": en, "zh-TW": zh_tw, "zh-CN": zh_cn}


def config(name: str, **overrides: Any) -> dict[str, Any]:
    """One configuration as the browser holds it: a preset with overrides, every toggle
    written out (the run request adds decay_steps = steps)."""
    values = asdict(preset(name, **overrides))
    del values["decay_steps"]
    return values


def state(
    surface: str,
    configs: list[dict[str, Any]],
    *,
    params: dict[str, float] | None = None,
    clicks: list[list[float]] | None = None,
    grid: int = 0,
    defaults: bool = False,
    steps: int = 300,
    batch: int = 0,
    batches: list[int | None] | None = None,
    seed: int = 0,
    test: bool = False,
) -> dict[str, Any]:
    """A scene's app state, checked by the page's state model (server/app_state.py).  Starts are
    the surface's defaults, a grid and clicked points; never random ones, so the start list is
    plain arithmetic here and in the browser alike."""
    fields = {
        "surface": surface,
        "params": dict(params or {}),
        "starts": {"clicks": [list(map(float, p)) for p in clicks or []], "random": 0, "grid": grid, "defaults": defaults},
        "configs": configs,
        "active": 0,
        "steps": steps,
        "batch": batch,
        "batches": list(batches or []),
        "seed": seed,
        "view": "contour",
        "test": test,
        "selected": None,
    }
    return AppState.model_validate(fields).model_dump(mode="json", exclude_unset=True)


# The chart beside the loss chart that a scene talks about: the gradient norm, η_t, what the
# Hessian says at the end points, or the device's time per update against batch size.
CHARTS = ("grad", "lr", "ratio", "timing")


def scene(key: str, app_state: dict[str, Any], text: Text, *, analyze: list[float] | None = None, chart: str = "grad") -> dict[str, Any]:
    """`analyze`: open the Hessian panel at this point; `chart`: the chart beside the loss chart
    (one of :data:`CHARTS`)."""
    if chart not in CHARTS:
        raise ValueError(f"a scene's chart is one of {CHARTS}")
    return {"id": key, "state": app_state, "text": text, "analyze": analyze, "chart": chart}


def lesson(key: str, title: Text, claim: Text, scenes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": key, "title": title, "claim": claim, "scenes": scenes}


# Settings shared by a lesson's scenes and its test.
VALLEY = {"kappa": 1000.0, "noise": 0.0}  # κ = 1000: the steep direction allows η < 2/κ = 0.002
BLOWUP = {"kappa": 100.0, "noise": 0.0}
BLOWUP_START = [5.0, -1.0]
# The escape button's step from two_weight_net's saddle at the origin, along its escape
# direction (1, 1)/√2 (surfaces/critical.py; the tests check it against the analysis).
SADDLE_ESCAPE_STEP = escape_step(get_surface("two_weight_net"))
BATCH_EPOCHS = 40
N_EXAMPLES = 64
# Full batch has converged by then (every end point is a critical point): a fair comparison is
# between runs that have finished, not a full-batch run still on its way.
FULL_BATCH_UPDATES = 200

LESSONS: list[dict[str, Any]] = [
    lesson(
        "hessian",
        _text("The Hessian tells a saddle from a minimum", "Hessian 分辨鞍點與最小值", "Hessian 分辨鞍点与最小值"),
        _text(
            "Where the gradient is zero, the signs of the Hessian's eigenvalues say what the point is.",
            "梯度為零的地方，Hessian 特徵值的正負告訴我們那是什麼點。",
            "梯度为零的地方，Hessian 特征值的正负告诉我们那是什么点。",
        ),
        [
            scene(
                "origin",
                state("two_weight_net", [config("sgd", lr=0.1)], defaults=True),
                _text(
                    "The lecture's network y = w₁·w₂·x at the origin: the gradient is zero, the Hessian is [[0, −2], [−2, 0]] "
                    "with eigenvalues −2 and 2. One up, one down: a saddle, not a minimum.",
                    "課堂上的網路 y = w₁·w₂·x 在原點：梯度為零，Hessian 是 [[0, −2], [−2, 0]]，特徵值 −2 與 2。一正一負：是鞍點，不是最小值。",
                    "课堂上的网络 y = w₁·w₂·x 在原点：梯度为零，Hessian 是 [[0, −2], [−2, 0]]，特征值 −2 与 2。一正一负：是鞍点，不是最小值。",
                ),
                analyze=[0.0, 0.0],
            ),
            scene(
                "valley-of-minima",
                state("two_weight_net", [config("sgd", lr=0.1)], defaults=True),
                _text(
                    "At (1, 1), on the curve w₁w₂ = 1, the loss is 0: a global minimum. The eigenvalues are 0 and 4, so the "
                    "verdict is “degenerate”: along the curve the loss does not change at all, and the Hessian alone cannot "
                    "tell a minimum from a saddle there. The loss value can.",
                    "在 (1, 1)，也就是曲線 w₁w₂ = 1 上，loss 為 0：全域最小值。特徵值是 0 與 4，判定為「退化」：沿著曲線 loss 完全不變，"
                    "單靠 Hessian 無法分辨最小值與鞍點；看 loss 的值就知道。",
                    "在 (1, 1)，也就是曲线 w₁w₂ = 1 上，loss 为 0：全局最小值。特征值是 0 与 4，判定为“退化”：沿着曲线 loss 完全不变，"
                    "单靠 Hessian 无法分辨最小值与鞍点；看 loss 的值就知道。",
                ),
                analyze=[1.0, 1.0],
            ),
            scene(
                "strict-minimum",
                state("himmelblau", [config("sgd", lr=0.002)], defaults=True),
                _text(
                    "On Himmelblau's surface, at (3, 2): the gradient is zero and both eigenvalues are positive (about 26 and "
                    "82). Every direction goes up: a local minimum, and the verdict says so. Click its neighbours too: the "
                    "saddles between the four minima have one negative eigenvalue.",
                    "在 Himmelblau 曲面的 (3, 2)：梯度為零，兩個特徵值都是正的（約 26 與 82）。往哪個方向都是上坡：區域最小值，判定也這麼說。"
                    "也點點看附近：四個最小值之間的鞍點有一個負的特徵值。",
                    "在 Himmelblau 曲面的 (3, 2)：梯度为零，两个特征值都是正的（约 26 与 82）。往哪个方向都是上坡：局部最小值，判定也这么说。"
                    "也点点看附近：四个最小值之间的鞍点有一个负的特征值。",
                ),
                analyze=[3.0, 2.0],
            ),
        ],
    ),
    lesson(
        "escape",
        _text("Escaping a saddle", "逃離鞍點", "逃离鞍点"),
        _text(
            "At a saddle gradient descent stops; one step along the negative eigenvalue's eigenvector gets it out.",
            "在鞍點梯度下降會停住；沿負特徵值的特徵向量走一步就能離開。",
            "在鞍点梯度下降会停住；沿负特征值的特征向量走一步就能离开。",
        ),
        [
            scene(
                "stuck",
                state("two_weight_net", [config("sgd", lr=0.1)], clicks=[[0.0, 0.0]], steps=200),
                _text(
                    "Plain gradient descent started exactly at the saddle: the gradient is zero, so it never moves, although the "
                    "loss is 1 and a loss of 0 is nearby.",
                    "從鞍點正中央開始的梯度下降：梯度為零，所以完全不動，雖然 loss 是 1，而附近就有 loss 為 0 的地方。",
                    "从鞍点正中央开始的梯度下降：梯度为零，所以完全不动，虽然 loss 是 1，而附近就有 loss 为 0 的地方。",
                ),
                analyze=[0.0, 0.0],
            ),
            scene(
                "escaped",
                state(
                    "two_weight_net",
                    [config("sgd", lr=0.1)],
                    clicks=[[0.0, 0.0], [SADDLE_ESCAPE_STEP / 2**0.5, SADDLE_ESCAPE_STEP / 2**0.5]],
                    steps=200,
                ),
                _text(
                    "The red arrow is the eigenvector of the eigenvalue −2, u = (1, 1)/√2: moving along it lowers the loss. One "
                    "small step along u (the “escape” button), then gradient descent, reaches the minimum at (1, 1).",
                    "紅色箭頭是特徵值 −2 的特徵向量 u = (1, 1)/√2：沿它走 loss 會下降。沿 u 走一小步（「逃離」按鈕），再做梯度下降，就到達 (1, 1) 的最小值。",
                    "红色箭头是特征值 −2 的特征向量 u = (1, 1)/√2：沿它走 loss 会下降。沿 u 走一小步（“逃离”按钮），再做梯度下降，就到达 (1, 1) 的最小值。",
                ),
                analyze=[0.0, 0.0],
                chart="ratio",
            ),
        ],
    ),
    lesson(
        "narrow-valley",
        _text("A narrow valley defeats a fixed learning rate", "狹長山谷難倒固定的學習率", "狭长山谷难倒固定的学习率"),
        _text(
            "With κ = 1000 every fixed η either bounces across the valley (or flies off) or crawls along its floor.",
            "κ = 1000 時，任何固定的 η 不是在山谷兩壁之間彈跳（甚至飛出去），就是沿著谷底慢慢爬。",
            "κ = 1000 时，任何固定的 η 不是在山谷两壁之间弹跳（甚至飞出去），就是沿着谷底慢慢爬。",
        ),
        [
            scene(
                "four-rates",
                state(
                    "narrow_valley",
                    [config("sgd", lr=0.0021), config("sgd", lr=0.0019), config("sgd", lr=0.001), config("sgd", lr=0.0003)],
                    params=VALLEY,
                    defaults=True,
                    steps=3000,
                ),
                _text(
                    "Four fixed learning rates. Above 2/κ = 0.002 the steep direction grows every step: the run diverges (red "
                    "crosses). Just below it, the run zigzags across the valley. Smaller rates stop bouncing but crawl: after "
                    "3000 steps they are still far from the minimum.",
                    "四個固定學習率。超過 2/κ = 0.002 時陡峭方向每一步都變大：發散（紅色叉）。略低於它，會在山谷兩壁之間鋸齒前進。更小的學習率不再彈跳，"
                    "卻爬得很慢：3000 步後仍離最小值很遠。",
                    "四个固定学习率。超过 2/κ = 0.002 时陡峭方向每一步都变大：发散（红色叉）。略低于它，会在山谷两壁之间锯齿前进。更小的学习率不再弹跳，"
                    "却爬得很慢：3000 步后仍离最小值很远。",
                ),
            ),
            scene(
                "best-fixed-vs-adaptive",
                state(
                    "narrow_valley",
                    [config("sgd", lr=0.0019), config("adagrad", lr=0.03), config("adam", lr=0.1)],
                    params=VALLEY,
                    defaults=True,
                    steps=3000,
                ),
                _text(
                    "The best fixed rate (just under 2/κ) needs about 2,400 steps to bring the loss below 0.001. Adagrad and "
                    "Adam, which give each direction its own step size, need a few hundred: compare the loss charts.",
                    "最好的固定學習率（略低於 2/κ）要約 2,400 步才能讓 loss 低於 0.001。Adagrad 與 Adam 讓每個方向有自己的步長，只要幾百步：比較 loss 圖。",
                    "最好的固定学习率（略低于 2/κ）要约 2,400 步才能让 loss 低于 0.001。Adagrad 与 Adam 让每个方向有自己的步长，只要几百步：比较 loss 图。",
                ),
            ),
        ],
    ),
    lesson(
        "adaptive",
        _text("Adaptive σ crosses the valley", "自適應的 σ 走過山谷", "自适应的 σ 走过山谷"),
        _text(
            "Dividing by σ, the root mean square of past gradients, makes the step small where the surface is steep and large "
            "where it is flat.",
            "除以 σ（過去梯度的均方根），讓陡的方向步伐小、平的方向步伐大。",
            "除以 σ（过去梯度的均方根），让陡的方向步伐小、平的方向步伐大。",
        ),
        [
            scene(
                "same-steps",
                state(
                    "narrow_valley",
                    [config("sgd", lr=0.0019), config("rmsprop", lr=0.01), config("adam", lr=0.1)],
                    params=VALLEY,
                    defaults=True,
                    steps=600,
                ),
                _text(
                    "600 steps each. Gradient descent (orange) has fallen to the valley floor and is still creeping along it. "
                    "RMSProp and Adam move as fast along the floor as across it, and arrive at the minimum in the middle.",
                    "各走 600 步。梯度下降（橘色）掉到谷底後仍在慢慢爬。RMSProp 與 Adam 沿谷底和橫越山谷一樣快，抵達中央的最小值。",
                    "各走 600 步。梯度下降（橙色）掉到谷底后仍在慢慢爬。RMSProp 与 Adam 沿谷底和横越山谷一样快，抵达中央的最小值。",
                ),
            ),
        ],
    ),
    lesson(
        "adagrad-blowup",
        _text(
            "Adagrad blows up late; learning-rate decay fixes it",
            "Adagrad 後期爆炸；學習率衰減解決它",
            "Adagrad 后期爆炸；学习率衰减解决它",
        ),
        _text(
            "Adagrad's σ is the root mean square of all past gradients: after a long stretch with tiny gradients it becomes "
            "tiny, η/σ huge, and the run shoots off. The lecture's fix is learning-rate decay; warm-up is its variant.",
            "Adagrad 的 σ 是所有過去梯度的均方根：梯度長時間很小後 σ 變得很小，η/σ 很大，於是突然噴出去。課堂上的解法是讓學習率衰減；暖身是它的變形。",
            "Adagrad 的 σ 是所有过去梯度的均方根：梯度长时间很小后 σ 变得很小，η/σ 很大，于是突然喷出去。课堂上的解法是让学习率衰减；预热是它的变形。",
        ),
        [
            scene(
                "blowup",
                state("narrow_valley", [config("adagrad", lr=0.3)], params=BLOWUP, clicks=[BLOWUP_START], steps=1000),
                _text(
                    "Adagrad with η = 0.3 reaches the valley floor in a few dozen steps, and the loss falls below 10⁻¹⁰. Then, "
                    "around step 200, it jumps back up to over 100: the steep coordinate's σ has shrunk with its gradient, "
                    "and one step across the valley overshoots. Watch the loss chart and play the run.",
                    "η = 0.3 的 Adagrad 幾十步就到谷底，loss 降到 10⁻¹⁰ 以下。然後在第 200 步左右又跳回 100 以上：陡峭座標的 σ 隨梯度一起縮小，"
                    "一步橫越山谷就衝過頭。看 loss 圖並播放。",
                    "η = 0.3 的 Adagrad 几十步就到谷底，loss 降到 10⁻¹⁰ 以下。然后在第 200 步左右又跳回 100 以上：陡峭坐标的 σ 随梯度一起缩小，"
                    "一步横越山谷就冲过头。看 loss 图并播放。",
                ),
            ),
            scene(
                "fixed",
                state(
                    "narrow_valley",
                    [config("adagrad", lr=0.3), config("adagrad", lr=0.3, schedule="inv_sqrt"), config("adagrad", lr=0.3, warmup_steps=50)],
                    params=BLOWUP,
                    clicks=[BLOWUP_START],
                    steps=1000,
                ),
                _text(
                    "The same run (orange) beside η decaying as 1/√(t + 1) (blue) and a 50-step warm-up (green): the η_t chart "
                    "shows the schedules. Neither of them blows up; the loss stays down once it is down.",
                    "同一個設定（橘）旁邊是以 1/√(t + 1) 衰減的 η（藍）與 50 步暖身（綠）：η_t 圖畫出這些排程。兩者都不會爆炸；loss 一旦降下來就保持。",
                    "同一个设置（橙）旁边是以 1/√(t + 1) 衰减的 η（蓝）与 50 步暖身（绿）：η_t 图画出这些调度。两者都不会爆炸；loss 一旦降下来就保持。",
                ),
                chart="lr",
            ),
        ],
    ),
    lesson(
        "momentum",
        _text("Momentum rolls over bumps", "動量滾過小丘", "动量滚过小丘"),
        _text(
            "The update keeps a share λ of the previous movement, so the ball rolls past small dips and out of saddles where "
            "plain gradient descent stops.",
            "更新保留上一次移動的 λ 倍，球就能滾過小坑、離開鞍點，而一般梯度下降會停在那裡。",
            "更新保留上一次移动的 λ 倍，球就能滚过小坑、离开鞍点，而普通梯度下降会停在那里。",
        ),
        [
            scene(
                "bumps",
                state("bumpy", [config("sgd", lr=0.1), config("momentum", lr=0.1, lam=0.9)], params={"noise": 0.0}, grid=32, steps=2000),
                _text(
                    "1,024 starts on a grid. Gradient descent stops in the dip nearest its start: only the starts already in the "
                    "middle dip reach the global minimum. With momentum λ = 0.9 about four times as many do. The chart of "
                    "where the runs end and the basin map show it.",
                    "網格上 1,024 個起點。梯度下降停在離起點最近的小坑：只有本來就在中央小坑的起點到達全域最小值。動量 λ = 0.9 時，到達的起點約多四倍。",
                    "网格上 1,024 个起点。梯度下降停在离起点最近的小坑：只有本来就在中央小坑的起点到达全局最小值。动量 λ = 0.9 时，到达的起点约多四倍。",
                ),
                chart="ratio",
            ),
            scene(
                "saddle",
                state(
                    "saddle",
                    [config("sgd", lr=0.05), config("momentum", lr=0.05, lam=0.9)],
                    params={"noise": 0.0},
                    clicks=[[2.0, 0.001]],
                    steps=300,
                ),
                _text(
                    "A start a hair's breadth off the saddle's ridge. Gradient descent slides to the saddle and lingers there, "
                    "where the gradient is almost zero; momentum keeps moving and leaves towards a minimum far sooner.",
                    "起點只偏離鞍點山脊一點點。梯度下降滑到鞍點附近停留很久（那裡梯度幾乎為零）；動量繼續移動，更快離開走向最小值。",
                    "起点只偏离鞍点山脊一点点。梯度下降滑到鞍点附近停留很久（那里梯度几乎为零）；动量继续移动，更快离开走向最小值。",
                ),
            ),
        ],
    ),
    lesson(
        "batch-size",
        _text("Small batches find flat minima", "小批次找到平坦的最小值", "小批次找到平坦的最小值"),
        _text(
            "Counted in updates or in epochs, small batches' noisy gradients jump out of the sharp minimum and settle in the "
            "flat one, whose loss rises less when the test data is shifted.",
            "不論以更新次數或 epoch 數來比，小批次的雜訊梯度都會跳出尖銳的最小值、停在平坦的那個；測試資料偏移時，平坦最小值的 loss 上升較少。",
            "不论以更新次数或 epoch 数来比，小批次的噪声梯度都会跳出尖锐的最小值、停在平坦的那个；测试数据偏移时，平坦最小值的 loss 上升较少。",
        ),
        [
            scene(
                "full-batch",
                state("sharp_flat", [config("sgd", lr=0.1)], grid=32, steps=FULL_BATCH_UPDATES, batch=N_EXAMPLES, test=True),
                _text(
                    "Full batch (64 examples), 200 updates = 200 epochs, 1,024 starts: every run has converged (no end point is "
                    "“still moving”), and about 30 % of them sit in the sharp canyon on the left. More updates change nothing: "
                    "2,560 end in the same places. The dashed lines are the test surface, shifted right: at the sharp minimum "
                    "the test loss is far higher.",
                    "全批次（64 筆資料），200 次更新 = 200 個 epoch，1,024 個起點：每個都已收斂（沒有終點「仍在移動」），約 30 % 停在"
                    "左邊尖銳的峽谷裡。更新再多也一樣：2,560 次停在同樣的地方。虛線是向右偏移的測試曲面：在尖銳最小值處測試 loss 高得多。",
                    "全批次（64 笔数据），200 次更新 = 200 个 epoch，1,024 个起点：每个都已收敛（没有终点“仍在移动”），约 30 % 停在"
                    "左边尖锐的峡谷里。更新再多也一样：2,560 次停在同样的地方。虚线是向右偏移的测试曲面：在尖锐最小值处测试 loss 高得多。",
                ),
                chart="ratio",
            ),
            scene(
                "batch-one",
                state("sharp_flat", [config("sgd", lr=0.1)], grid=32, steps=BATCH_EPOCHS * N_EXAMPLES, batch=1, test=True),
                _text(
                    "Batch size 1: 2,560 updates, as many as full batch's 2,560, in only 40 epochs, a fifth of full batch's 200. "
                    "Every update sees one example, so the gradient is noisy: the runs jump out of the narrow canyon and end in "
                    "the wide, flat minimum (none in the canyon), with a lower test loss. They end near it, not on it: the last "
                    "update saw one example, so the whole data set's gradient is not 0 there (“still moving” in the chart).",
                    "批次大小 1：2,560 次更新，和全批次的 2,560 次一樣多，卻只用 40 個 epoch，是全批次 200 個的五分之一。每次更新只看一筆資料，"
                    "梯度有雜訊：跳出狹窄的峽谷，停在寬廣平坦的最小值（峽谷裡一個都沒有），測試 loss 較低。"
                    "它們停在最小值附近而不是正好在上面：最後一次更新只看一筆資料，整個資料集的梯度在那裡不是 0（圖表中的「仍在移動」）。",
                    "批次大小 1：2,560 次更新，和全批次的 2,560 次一样多，却只用 40 个 epoch，是全批次 200 个的五分之一。每次更新只看一笔数据，"
                    "梯度有噪声：跳出狭窄的峡谷，停在宽广平坦的最小值（峡谷里一个都没有），测试 loss 较低。"
                    "它们停在最小值附近而不是正好在上面：最后一次更新只看一笔数据，整个数据集的梯度在那里不是 0（图表中的“仍在移动”）。",
                ),
                chart="ratio",
            ),
            scene(
                "race",
                state(
                    "sharp_flat",
                    [config("sgd", lr=0.1), config("sgd", lr=0.1)],
                    grid=16,
                    steps=BATCH_EPOCHS * N_EXAMPLES,
                    batches=[N_EXAMPLES, 1],
                    test=True,
                ),
                _text(
                    "Side by side, the same 2,560 updates from the same 256 starts: full batch (orange) and batch size 1 (blue). "
                    "The chart of where the runs end counts them: full batch leaves about 30 % in the sharp canyon, batch size 1 "
                    "none, and its test loss (dashed in the loss chart) is lower.",
                    "並排比較，從同樣 256 個起點各走 2,560 次更新：全批次（橘色）和批次大小 1（藍色）。「停在哪裡」圖表數給你看：全批次約 30 % "
                    "留在尖銳的峽谷，批次大小 1 一個都沒有，而且它的測試 loss（loss 圖中的虛線）較低。",
                    "并排比较，从同样 256 个起点各走 2,560 次更新：全批次（橙色）和批次大小 1（蓝色）。“停在哪里”图表数给你看：全批次约 30 % "
                    "留在尖锐的峡谷，批次大小 1 一个都没有，而且它的测试 loss（loss 图中的虚线）较低。",
                ),
                chart="ratio",
            ),
        ],
    ),
    lesson(
        "batch-time",
        _text("Time per update against batch size", "每次更新的時間與批次大小", "每次更新的时间与批次大小"),
        _text(
            "On parallel hardware a bigger batch costs almost no more time per update, so an epoch of big batches is much faster.",
            "在平行運算的硬體上，批次變大時每次更新幾乎不多花時間，所以大批次跑完一個 epoch 快得多。",
            "在并行计算的硬件上，批次变大时每次更新几乎不多花时间，所以大批次跑完一个 epoch 快得多。",
        ),
        [
            scene(
                "measured",
                state("sharp_flat", [config("sgd", lr=0.1)], defaults=True),
                _text(
                    "Measured now on this server's device: one update of a small network (64 → 256 → 10) for each batch size, "
                    "and one epoch of 4,096 examples. A GPU does a batch's examples at once, so its update line stays flat until "
                    "the batch fills it; a CPU with a few cores works through them nearly one by one, so its line climbs. The "
                    "epoch line falls in both: fewer updates per epoch.",
                    "現在在這台伺服器的裝置上量測：小網路（64 → 256 → 10）在各批次大小下的一次更新，以及 4,096 筆資料的一個 epoch。GPU 同時處理一個批次的所有資料，"
                    "所以更新時間在批次填滿它之前都是平的；只有幾個核心的 CPU 幾乎一筆一筆做，所以線會上升。epoch 的線兩者都下降：每個 epoch 的更新次數變少。",
                    "现在在这台服务器的设备上测量：小网络（64 → 256 → 10）在各批次大小下的一次更新，以及 4,096 笔数据的一个 epoch。GPU 同时处理一个批次的所有数据，"
                    "所以更新时间在批次填满它之前都是平的；只有几个核心的 CPU 几乎一笔一笔做，所以线会上升。epoch 的线两者都下降：每个 epoch 的更新次数变少。",
                ),
                chart="timing",
            ),
        ],
    ),
    lesson(
        "mse-vs-ce",
        _text("Cross-entropy has slope where MSE is flat", "MSE 平坦之處交叉熵仍有斜率", "MSE 平坦之处交叉熵仍有斜率"),
        _text(
            "Over softmax outputs, mean square error is a plateau where the wrong class dominates; cross-entropy is not.",
            "在 softmax 輸出上，錯誤類別佔優勢時均方誤差是一片高原；交叉熵不是。",
            "在 softmax 输出上，错误类别占优势时均方误差是一片高原；交叉熵不是。",
        ),
        [
            scene(
                "mse",
                state("mse_softmax", [config("sgd", lr=1.0)], clicks=[[-8.0, 8.0]], steps=1000),
                _text(
                    "MSE, started at y₁ = −8, y₂ = 8 (the wrong class far ahead). The gradient there is below 10⁻⁶: even with "
                    "η = 1, a thousand steps do not move it.",
                    "MSE，從 y₁ = −8、y₂ = 8 開始（錯誤類別遙遙領先）。那裡的梯度小於 10⁻⁶：即使 η = 1，一千步也動不了。",
                    "MSE，从 y₁ = −8、y₂ = 8 开始（错误类别遥遥领先）。那里的梯度小于 10⁻⁶：即使 η = 1，一千步也动不了。",
                ),
                analyze=[-8.0, 8.0],
            ),
            scene(
                "cross-entropy",
                state("ce_softmax", [config("sgd", lr=1.0)], clicks=[[-8.0, 8.0]], steps=1000),
                _text(
                    "Cross-entropy from the same point, with the same η: the gradient is about 1.4, and the run walks straight "
                    "down to where class 1 wins.",
                    "同一點、同樣的 η，改用交叉熵：梯度約 1.4，一路往下走到第 1 類勝出的地方。",
                    "同一点、同样的 η，改用交叉熵：梯度约 1.4，一路往下走到第 1 类胜出的地方。",
                ),
                analyze=[-8.0, 8.0],
            ),
        ],
    ),
    lesson(
        "normalization",
        _text("Normalised features make the valley round", "特徵標準化讓山谷變圓", "特征标准化让山谷变圆"),
        _text(
            "When one feature is ten times larger than the other the error surface is a long valley; standardising the "
            "features makes it round, and gradient descent can take far bigger steps.",
            "一個特徵比另一個大十倍時，誤差曲面是狹長的山谷；把特徵標準化後它變圓，梯度下降可以走大得多的步伐。",
            "一个特征比另一个大十倍时，误差曲面是狭长的山谷；把特征标准化后它变圆，梯度下降可以走大得多的步伐。",
        ),
        [
            scene(
                "raw",
                state("feature_scale", [config("sgd", lr=0.019)], params={"normalize": 0.0}, defaults=True, steps=300),
                _text(
                    "Raw features: the Hessian's eigenvalues differ about a hundredfold. η = 0.019 is close to the largest that "
                    "does not diverge, and the runs still need a couple of hundred steps along the valley.",
                    "原始特徵：Hessian 特徵值相差約一百倍。η = 0.019 已接近不發散的上限，仍要沿山谷走兩百多步。",
                    "原始特征：Hessian 特征值相差约一百倍。η = 0.019 已接近不发散的上限，仍要沿山谷走两百多步。",
                ),
                analyze=[1.5, 0.2],
            ),
            scene(
                "normalized",
                state("feature_scale", [config("sgd", lr=1.0)], params={"normalize": 1.0}, defaults=True, steps=300),
                _text(
                    "Standardised features: the contours are nearly circles, the eigenvalues nearly equal, and η = 1 reaches the "
                    "minimum in a handful of steps.",
                    "標準化特徵：等高線幾乎是圓，特徵值幾乎相等，η = 1 幾步就到最小值。",
                    "标准化特征：等高线几乎是圆，特征值几乎相等，η = 1 几步就到最小值。",
                ),
            ),
        ],
    ),
]


def _branch(key: str, text: Text, lessons: list[str], children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": key, "text": text, "lessons": lessons, "children": children or []}


# The lecture's flowchart: where a training failure comes from, and which lesson shows it.
GUIDE: dict[str, Any] = {
    "title": _text("General guide: why does my network fail?", "總覽：為什麼網路訓練不好？", "总览：为什么网络训练不好？"),
    "root": _branch(
        "train-loss",
        _text("Is the loss on the training data large?", "訓練資料上的 loss 大嗎？", "训练数据上的 loss 大吗？"),
        [],
        [
            _branch(
                "model-bias",
                _text(
                    "Yes, and a more flexible model does better: model bias. The model cannot express a good function; give it "
                    "more features or more parameters.",
                    "是，而且更有彈性的模型做得更好：模型偏差。模型表達不了好的函數；給它更多特徵或參數。",
                    "是，而且更有弹性的模型做得更好：模型偏差。模型表达不了好的函数；给它更多特征或参数。",
                ),
                ["net-model-bias"],
            ),
            _branch(
                "optimization",
                _text(
                    "Yes, but a smaller model reaches a lower training loss: optimisation. A good function exists and the "
                    "optimizer does not find it: saddles, narrow valleys, plateaus.",
                    "是，但較小的模型反而訓練 loss 更低：優化問題。好的函數存在，但優化器找不到：鞍點、狹長山谷、高原。",
                    "是，但较小的模型反而训练 loss 更低：优化问题。好的函数存在，但优化器找不到：鞍点、狭长山谷、高原。",
                ),
                [
                    "hessian",
                    "escape",
                    "narrow-valley",
                    "adaptive",
                    "adagrad-blowup",
                    "momentum",
                    "mse-vs-ce",
                    "normalization",
                    "net-optimization",
                    "net-warmup",
                    "net-saturation",
                    "net-batch-norm",
                    "net-edge-of-stability",
                    "net-critical-points",
                ],
            ),
            _branch(
                "test-loss",
                _text(
                    "No: is the loss on the test data large?",
                    "不大：那麼測試資料上的 loss 大嗎？",
                    "不大：那么测试数据上的 loss 大吗？",
                ),
                [],
                [
                    _branch(
                        "overfitting",
                        _text(
                            "Yes: overfitting. More data, less flexibility, or training that prefers flat minima (small batches).",
                            "是：過擬合。更多資料、降低彈性，或偏好平坦最小值的訓練（小批次）。",
                            "是：过拟合。更多数据、降低弹性，或偏好平坦最小值的训练（小批次）。",
                        ),
                        ["net-overfitting", "batch-size", "net-flat-minima"],
                    ),
                    _branch(
                        "mismatch",
                        _text(
                            "Yes, and the test data differs from the training data: mismatch. A shifted test surface punishes "
                            "sharp minima most.",
                            "是，且測試資料與訓練資料分布不同：不匹配。偏移的測試曲面對尖銳最小值懲罰最重。",
                            "是，且测试数据与训练数据分布不同：不匹配。偏移的测试曲面对尖锐最小值惩罚最重。",
                        ),
                        ["net-mismatch", "batch-size", "net-flat-minima"],
                    ),
                    _branch(
                        "done",
                        _text(
                            "No: done. The network trains and generalises.",
                            "不大：完成。網路訓練得起來，也能泛化。",
                            "不大：完成。网络训练得起来，也能泛化。",
                        ),
                        [],
                    ),
                ],
            ),
        ],
    ),
    "speed": _branch(
        "speed",
        _text(
            "Training is slow rather than bad: batch size sets the time per epoch.",
            "訓練不是不好而是太慢：批次大小決定每個 epoch 的時間。",
            "训练不是不好而是太慢：批次大小决定每个 epoch 的时间。",
        ),
        ["batch-time"],
    ),
}


def lesson_ids() -> list[str]:
    return [entry["id"] for entry in LESSONS]


def get_lesson(key: str) -> dict[str, Any]:
    for entry in LESSONS:
        if entry["id"] == key:
            return entry
    raise KeyError(key)


def get_scene(lesson_key: str, scene_key: str) -> dict[str, Any]:
    for entry in get_lesson(lesson_key)["scenes"]:
        if entry["id"] == scene_key:
            return entry
    raise KeyError(scene_key)
