"""Plain NumPy oracles: the lecture's update rule as written, hand-derived gradients and the
documented minibatch shuffle, one start and one step at a time.  Slow on purpose; nothing
here is shared with the engine except the documented formulas."""

from __future__ import annotations

import math

import numpy as np

# --- gradients of the full-batch formulas, by hand -------------------------------------------


def rosenbrock(p: np.ndarray) -> tuple[float, np.ndarray]:
    x, y = p
    loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
    grad = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    return loss, grad


def himmelblau(p: np.ndarray) -> tuple[float, np.ndarray]:
    x, y = p
    a, b = x * x + y - 11, x + y * y - 7
    return a * a + b * b, np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


def valley(kappa: float):
    def f(p: np.ndarray) -> tuple[float, np.ndarray]:
        x, y = p
        return 0.5 * (x * x + kappa * y * y), np.array([x, kappa * y])

    return f


def saddle(p: np.ndarray) -> tuple[float, np.ndarray]:
    x, y = p
    return x * x - y * y + 0.25 * y**4, np.array([2 * x, -2 * y + y**3])


def noisy(f, noise: float, examples: np.ndarray):
    """Batch gradient of f(θ) + noise·e_i·θ over a batch of example rows."""

    def batch_grad(p: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return f(p)[1] + noise * examples[rows].mean(axis=0)

    return batch_grad


# --- the documented shuffle -----------------------------------------------------------------

M32 = 0xFFFFFFFF


def _fmix(h: int) -> int:
    h &= M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    return h ^ (h >> 16)


def shuffled_index(seed: int, start: int, epoch: int, slot: int, log2_n: int) -> int:
    if log2_n == 0:
        return 0
    mask = (1 << log2_n) - 1
    h = _fmix(seed ^ _fmix(((start * 0x9E3779B9) & M32) ^ _fmix(epoch + 0x632BE5AB)))
    a1 = _fmix(h ^ 1) | 1
    b1 = _fmix(h ^ 2)
    c = _fmix(h ^ 3)
    a2 = _fmix(h ^ 4) | 1
    b2 = _fmix(h ^ 5)
    i = (a1 * slot + b1) & mask
    i ^= c & mask
    rot = (c >> 16) % log2_n
    i = ((i << rot) | (i >> (log2_n - rot))) & mask
    return (a2 * i + b2) & mask


def batch_rows(seed: int, start: int, step: int, batch: int, n: int) -> np.ndarray:
    per_epoch = n // batch
    epoch, j = divmod(step, per_epoch)
    return np.array([shuffled_index(seed, start, epoch, j * batch + r, n.bit_length() - 1) for r in range(batch)])


# --- the lecture's rule ---------------------------------------------------------------------


def eta(t: int, cfg: dict) -> float:
    lr, w = cfg["lr"], cfg.get("warmup_steps", 0.0)
    warm = min(1.0, (t + 1) / w) if w > 0 else 1.0
    s = max(t - w, 0.0)
    schedule = cfg.get("schedule", "constant")
    if schedule == "inv_sqrt":
        d = 1 / math.sqrt(s + 1)
    elif schedule == "exponential":
        d = cfg.get("decay_rate", 0.99) ** s
    elif schedule == "cosine":
        steps = cfg.get("decay_steps", 1000.0)
        d = 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))
    else:
        d = 1.0
    return lr * warm * d


def run(grad_at, theta0: np.ndarray, steps: int, cfg: dict) -> np.ndarray:
    """Trajectory [steps + 1, 2] of one start.  ``grad_at(θ, t)`` is the gradient step t uses.

    Written from the lecture's definitions: σ for Adagrad is the root mean square of *all*
    past gradients (kept as a list), RMSProp starts at σ⁰ = |g⁰|.
    """
    theta = np.asarray(theta0, np.float64)
    out = [theta.copy()]
    past: list[np.ndarray] = []
    trace = np.zeros(2)
    v = np.zeros(2)
    sigma_prev = np.zeros(2)
    lam, b1, b2 = cfg.get("lam", 0.9), cfg.get("beta1", 0.9), cfg.get("beta2", 0.999)
    alpha, eps = cfg.get("alpha", 0.9), cfg.get("eps", 1e-8)
    for t in range(steps):
        g = grad_at(theta, t)
        past.append(g)
        mode = cfg.get("momentum", "none")
        if mode == "heavy_ball":
            trace = lam * trace + g
            m = trace
        elif mode == "nesterov":
            trace = lam * trace + g
            m = g + lam * trace
        elif mode == "adam":
            trace = b1 * trace + (1 - b1) * g
            m = trace / (1 - b1 ** (t + 1))
        else:
            m = g
        sig = cfg.get("sigma", "none")
        if sig == "adagrad":
            sigma = np.sqrt(np.mean(np.square(past), axis=0)) + eps
        elif sig == "rmsprop":
            raw = np.abs(g) if t == 0 else np.sqrt(alpha * sigma_prev**2 + (1 - alpha) * g * g)
            sigma_prev = raw
            sigma = raw + eps
        elif sig == "adam":
            v = b2 * v + (1 - b2) * g * g
            sigma = np.sqrt(v / (1 - b2 ** (t + 1))) + eps
        else:
            sigma = np.ones(2)
        theta = theta - eta(t, cfg) * m / sigma
        out.append(theta.copy())
    return np.array(out)
