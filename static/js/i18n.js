// Every label in the three languages of the lecture's audience.
export const LANGUAGES = ["en", "zh-TW", "zh-CN"];

const LABELS = {
  tagline: ["What to do if my network fails to train — see it happen.", "訓練不起來怎麼辦——親眼看見。", "训练不起来怎么办——亲眼看见。"],
  language: ["Language", "語言", "语言"],
  surface: ["Error surface", "誤差曲面", "误差曲面"],
  starts: ["Start points", "起始點", "起始点"],
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
};

let current = "en";

export function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : "en";
  document.documentElement.lang = current;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
}

export function t(key) {
  const entry = LABELS[key];
  return entry ? entry[LANGUAGES.indexOf(current)] : key;
}

export function language() {
  return current;
}
