"""Time per update and per epoch against batch size (the lecture's "larger batches are not
slower per update on parallel hardware"), on this machine, as GET /api/timing measures it.

    python -m bench.timing
"""

from __future__ import annotations

import platform

from errorscape.surfaces.timing import measure


def main() -> None:
    t = measure()
    print(f"device: {t.device}; machine: {platform.machine()}, {platform.processor() or 'cpu'}")
    print(f"{'batch':>6} {'update ms':>10} {'epoch ms':>10} {'epoch / full-batch epoch':>25}")
    full = t.epoch_s[-1]
    for b, u, e in zip(t.batch_sizes, t.update_s, t.epoch_s, strict=True):
        print(f"{b:>6} {1000 * u:>10.3f} {1000 * e:>10.1f} {e / full:>25.1f}")


if __name__ == "__main__":
    main()
