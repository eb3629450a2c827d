// Every label in the three languages of the lecture's audience.
export const LANGUAGES = ["en", "zh-TW", "zh-CN"];

const LABELS = {
  tagline: ["What to do if my network fails to train — see it happen.", "訓練不起來怎麼辦——親眼看見。", "训练不起来怎么办——亲眼看见。"],
  language: ["Language", "語言", "语言"],
  surface: ["Error surface", "誤差曲面", "误差曲面"],
  starts: ["Start points", "起始點", "起始点"],
  custom: ["Your own formula…", "自訂公式…", "自定义公式…"],
  formula: ["Your formula in x and y", "你的公式（變數 x 與 y）", "你的公式（变量 x 与 y）"],
  formula_apply: ["Use", "套用", "应用"],
  domain: ["Domain", "範圍", "范围"],
  formula_help: [
    "Numbers, x, y, pi, e, + − * / ** (or ^), brackets, sin cos tan exp log sqrt abs tanh sigmoid minimum maximum. Enter applies it.",
    "可用：數字、x、y、pi、e、+ − * / **（或 ^）、括號，以及 sin cos tan exp log sqrt abs tanh sigmoid minimum maximum。按 Enter 套用。",
    "可用：数字、x、y、pi、e、+ − * / **（或 ^）、括号，以及 sin cos tan exp log sqrt abs tanh sigmoid minimum maximum。按 Enter 应用。",
  ],
  compiling: ["compiling your formula…", "編譯公式中…", "编译公式中…"],
  compiled: ["compiled a new program", "編譯了新程式", "编译了新程序"],
  rule: ["Rule", "規則", "规则"],
  lecture_rule: ["the lecture's rule", "課程的規則", "课程的规则"],
  optax_note: [
    "optax's optimizer on θ = (x, y) as one vector; every slider is traced: moving it compiles nothing.",
    "optax 的優化器，把 θ = (x, y) 視為一個向量；每個滑桿都是追蹤值，移動時不需重新編譯。",
    "optax 的优化器，把 θ = (x, y) 视为一个向量；每个滑杆都是追踪值，移动时不需重新编译。",
  ],
  static_note: ["static: a change compiles a new program", "靜態值：改變時會編譯新程式", "静态值：改变时会编译新程序"],
  random_count: ["Random", "隨機", "随机"],
  add_random: ["Add random", "加入隨機點", "加入随机点"],
  add_grid: ["Grid 10×10", "網格 10×10", "网格 10×10"],
  default_starts: ["Defaults", "預設", "默认"],
  clear: ["Clear", "清除", "清除"],
  click_adds: ["Click adds a start", "點擊加入起始點", "点击加入起始点"],
  click_analyzes: ["Click analyses the point", "點擊分析該點", "点击分析该点"],
  optimizer: ["Optimizer θ ← θ − (η/σ)·m", "優化器 θ ← θ − (η/σ)·m", "优化器 θ ← θ − (η/σ)·m"],
  training: ["Training", "訓練", "训练"],
  steps: ["Steps", "步數", "步数"],
  batch_size: ["Batch size (0 = full)", "批次大小（0 = 全部）", "批次大小（0 = 全部）"],
  seed: ["Seed", "亂數種子", "随机种子"],
  play: ["Play", "播放", "播放"],
  pause: ["Pause", "暫停", "暂停"],
  step: ["Step", "步", "步"],
  hessian_title: ["At a point", "某一點", "某一点"],
  hessian_hint: ["Choose “Click analyses the point”, then click the surface.", "選擇「點擊分析該點」，再點曲面。", "选择“点击分析该点”，再点曲面。"],
  basin_map: ["Basin map", "吸引盆地圖", "吸引盆地图"],
  basin_computing: ["computing the basin map…", "計算吸引盆地圖中…", "计算吸引盆地图中…"],
  basin_done: ["basin map: colour = the minimum each start reaches (grey: none)", "吸引盆地圖：顏色 = 每個起點走到的最小值（灰：無）", "吸引盆地图：颜色 = 每个起点走到的最小值（灰：无）"],
  analyze: ["Analyse", "分析", "分析"],
  escape: ["Escape along the negative eigenvector", "沿負特徵值的方向逃離", "沿负特征值的方向逃离"],
  lr: ["Learning rate η", "學習率 η", "学习率 η"],
  momentum: ["Momentum m", "動量 m", "动量 m"],
  lam: ["Momentum λ", "動量 λ", "动量 λ"],
  beta1: ["β₁ (Adam)", "β₁（Adam）", "β₁（Adam）"],
  sigma: ["Adaptive σ", "自適應 σ", "自适应 σ"],
  alpha: ["RMSProp α", "RMSProp α", "RMSProp α"],
  beta2: ["β₂ (Adam)", "β₂（Adam）", "β₂（Adam）"],
  eps: ["ε", "ε", "ε"],
  schedule: ["Schedule η_t", "學習率排程 η_t", "学习率调度 η_t"],
  warmup_steps: ["Warm-up steps", "暖身步數", "预热步数"],
  decay_rate: ["Decay per step", "每步衰減", "每步衰减"],
  none: ["none", "無", "无"],
  heavy_ball: ["momentum (heavy ball)", "動量", "动量"],
  nesterov: ["Nesterov", "Nesterov", "Nesterov"],
  adam: ["Adam", "Adam", "Adam"],
  adagrad: ["Adagrad (root mean square)", "Adagrad（均方根）", "Adagrad（均方根）"],
  rmsprop: ["RMSProp", "RMSProp", "RMSProp"],
  constant: ["constant", "固定", "固定"],
  inv_sqrt: ["decay 1/√t", "衰減 1/√t", "衰减 1/√t"],
  exponential: ["exponential decay", "指數衰減", "指数衰减"],
  cosine: ["cosine decay", "餘弦衰減", "余弦衰减"],
  config: ["Config", "設定", "设定"],
  add_config: ["+ compare", "+ 比較", "+ 比较"],
  remove_config: ["− remove", "− 移除", "− 移除"],
  loss: ["training loss (median over starts)", "訓練 loss（起始點中位數）", "训练 loss（起始点中位数）"],
  test_loss: ["test loss (median)", "測試 loss（中位數）", "测试 loss（中位数）"],
  no_starts: ["no start points: add some", "沒有起始點：請加入", "没有起始点：请加入"],
  running: ["running…", "計算中…", "计算中…"],
  done: ["done", "完成", "完成"],
  stop: ["Stop", "停止", "停止"],
  stopped: ["stopped at step {t} of {n}", "在第 {t} / {n} 步停止", "在第 {t} / {n} 步停止"],
  progress: ["running: step {t} of {n}, about {left} s left", "執行中：第 {t} / {n} 步，約剩 {left} 秒", "运行中：第 {t} / {n} 步，约剩 {left} 秒"],
  diverged: ["diverged", "發散", "发散"],
  kind: ["Verdict", "判斷", "判断"],
  point: ["Point", "位置", "位置"],
  gradient: ["Gradient", "梯度", "梯度"],
  hessian: ["Hessian", "Hessian", "Hessian"],
  eigenvalues: ["Eigenvalues", "特徵值", "特征值"],
  minimum: ["minimum", "局部最小值", "局部最小值"],
  maximum: ["maximum", "局部最大值", "局部最大值"],
  saddle: ["saddle point", "鞍點", "鞍点"],
  not_critical: ["not a critical point", "不是臨界點", "不是临界点"],
  degenerate: ["degenerate (test cannot decide)", "退化（無法判斷）", "退化（无法判断）"],
  error: ["error", "錯誤", "错误"],
  view_contour: ["Contour", "等高線", "等高线"],
  view_3d: ["3-D surface", "立體曲面", "立体曲面"],
  show_test: ["Test surface over the training one", "在訓練曲面上疊加測試曲面", "在训练曲面上叠加测试曲面"],
  no_test: ["(this surface has no test set)", "（此曲面沒有測試資料）", "（此曲面没有测试数据）"],
  train_surface: ["training loss", "訓練 loss", "训练 loss"],
  test_surface: ["test loss (dashed)", "測試 loss（虛線）", "测试 loss（虚线）"],
  export_png: ["Save PNG", "存成 PNG", "保存 PNG"],
  export_webm: ["Save video (WebM)", "存成影片（WebM）", "保存视频（WebM）"],
  recording: ["recording", "錄製中", "录制中"],
  saved: ["saved", "已儲存", "已保存"],
  step_back: ["One step back", "上一步", "上一步"],
  step_forward: ["One step forward", "下一步", "下一步"],
  speed: ["Speed", "速度", "速度"],
  loss_title: ["Loss vs step: median, 10–90 % band", "Loss 對步數：中位數與 10–90 % 範圍", "Loss 对步数：中位数与 10–90 % 范围"],
  grad_title: ["Gradient norm ‖g‖ vs step", "梯度大小 ‖g‖ 對步數", "梯度大小 ‖g‖ 对步数"],
  lr_title: ["Learning rate η_t", "學習率 η_t", "学习率 η_t"],
  ratio_title: ["End points: what the Hessian says", "終點：Hessian 怎麼說", "终点：Hessian 怎么说"],
  end_minimum: ["minimum (ratio 1)", "最小值（ratio 1）", "最小值（ratio 1）"],
  end_saddle: ["saddle (ratio ½)", "鞍點（ratio ½）", "鞍点（ratio ½）"],
  end_maximum: ["maximum (ratio 0)", "最大值（ratio 0）", "最大值（ratio 0）"],
  end_degenerate: ["flat direction (an eigenvalue 0)", "平坦方向（有特徵值為 0）", "平坦方向（有特征值为 0）"],
  end_not_critical: ["not critical (gradient ≠ 0)", "不是臨界點（梯度 ≠ 0）", "不是临界点（梯度 ≠ 0）"],
  end_diverged: ["diverged", "發散", "发散"],
  sampled: ["percentiles over {n} of the starts", "百分位數取自 {n} 個起始點", "百分位数取自 {n} 个起始点"],
  selected: ["selected start", "選取的起始點", "选取的起始点"],
  selected_title: ["Selected start", "選取的起始點", "选取的起始点"],
  selected_hint: ["Click a dot to follow one start: its own loss and gradient norm appear in white.", "點一個點來追蹤一個起始點：它自己的 loss 與梯度以白線顯示。", "点一个点来追踪一个起始点：它自己的 loss 与梯度以白线显示。"],
  selected_info: ["config {c}, start {s}: from ({x0}, {y0}) to ({x1}, {y1}), loss {l}", "設定 {c}、起始點 {s}：從 ({x0}, {y0}) 到 ({x1}, {y1})，loss {l}", "设定 {c}、起始点 {s}：从 ({x0}, {y0}) 到 ({x1}, {y1})，loss {l}"],
  keys_title: ["Keyboard", "鍵盤", "键盘"],
  key_play: ["play / pause", "播放／暫停", "播放／暂停"],
  key_step: ["one step back / forward", "上一步／下一步", "上一步／下一步"],
  key_ends: ["first / last step", "第一步／最後一步", "第一步／最后一步"],
  key_view: ["contour ↔ 3-D", "等高線 ↔ 立體", "等高线 ↔ 立体"],
  basin_pass: ["basin map: pass {k} of {n} ({g}×{g})…", "吸引盆地圖：第 {k}／{n} 輪（{g}×{g}）…", "吸引盆地图：第 {k}／{n} 轮（{g}×{g}）…"],
  critical_points: ["critical points", "臨界點", "临界点"],
  lesson: ["Lesson", "課程", "课程"],
  free_play: ["— free exploration —", "— 自由探索 —", "— 自由探索 —"],
  previous: ["◀ Previous", "◀ 上一步", "◀ 上一步"],
  next: ["Next ▶", "下一步 ▶", "下一步 ▶"],
  guide: ["General guide", "總覽", "总览"],
  close: ["Close", "關閉", "关闭"],
  scene_of: ["{k} / {n}", "{k} / {n}", "{k} / {n}"],
  preparing: [
    "preparing the first run: compiling programs ({done} / {total})…",
    "準備第一次執行：編譯程式中（{done} / {total}）…",
    "准备第一次运行：编译程序中（{done} / {total}）…",
  ],
  timing_title: ["Time against batch size on this server's device ({device})", "此伺服器裝置上的時間與批次大小（{device}）", "此服务器设备上的时间与批次大小（{device}）"],
  timing_update: ["one update", "一次更新", "一次更新"],
  timing_epoch: ["one epoch ({n} examples)", "一個 epoch（{n} 筆資料）", "一个 epoch（{n} 笔数据）"],
  batch_axis: ["batch size", "批次大小", "批次大小"],
  timing_measuring: ["measuring time per update on this device…", "正在量測此裝置上每次更新的時間…", "正在测量此设备上每次更新的时间…"],
};

let current = "en";

export function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : "en";
  document.documentElement.lang = current;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of document.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
    el.title = t(el.dataset.i18nLabel);
  }
}

// `values` fill {name} placeholders (plain text substitution; nothing is evaluated).
export function t(key, values = null) {
  const entry = LABELS[key];
  let text = entry ? entry[LANGUAGES.indexOf(current)] : key;
  if (values) for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{${k}}`, String(v));
  return text;
}

export function language() {
  return current;
}
