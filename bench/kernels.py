"""Kernels per step of the engine's compiled programs, from XLA's optimised HLO.

    python -m bench.kernels                  # Adam on Rosenbrock, 1,000 starts
    python -m bench.kernels --preset sgd --starts 10000

On a CPU each top-level instruction of the loop body that does work (a fusion, a copy, a
select or an elementwise op XLA left unfused, the loop condition) runs as its own loop over
the arrays: the count per step is what a step costs beyond its arithmetic.  Shown for the
chunk program (full trajectories) and the end-points program, each general (every toggle a
runtime value: a slider compiles nothing) and specialised on the momentum and σ modes.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from typing import Any

import jax
import numpy as np

from errorscape.surfaces.engine import RunSpec, prepare
from errorscape.surfaces.kernels import CHUNK_STEPS, FINAL_CHUNK_STEPS

# Instructions that move no data: they are bookkeeping inside a loop body, not kernels.
FREE = {"parameter", "get-tuple-element", "tuple", "constant", "bitcast", "after-all", "partition-id", "replica-id"}


def opcode(line: str) -> str | None:
    """The opcode of an HLO instruction line (``%name = type opcode(operands), …``)."""
    if " = " not in line:
        return None
    rest = line.split(" = ", 1)[1].lstrip()
    if rest.startswith("("):  # a tuple type: skip its balanced parentheses
        depth = 0
        for i, ch in enumerate(rest):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                rest = rest[i + 1 :].lstrip()
                break
    else:
        rest = rest.split(" ", 1)[1] if " " in rest else ""
    m = re.match(r"([a-z][\w\-]*)\(", rest)
    return m.group(1) if m else None


def computations(hlo: str) -> dict[str, list[str]]:
    """Each computation's instruction lines (``ROOT`` dropped), by name."""
    out: dict[str, list[str]] = {}
    current = None
    for line in hlo.splitlines():
        if line and not line.startswith(" ") and line.rstrip().endswith("{"):
            current = (line.split()[1] if line.startswith("ENTRY") else line.split()[0]).lstrip("%")
            out[current] = []
        elif current and line.startswith(" "):
            out[current].append(line.strip().removeprefix("ROOT "))
    return out


def while_bodies(hlo: str) -> dict[str, list[str]]:
    """Each computation's instruction opcodes, for the computations some while loop runs."""
    bodies = set(re.findall(r"body=%?([\w.\-]+)", hlo))
    return {name: [op for line in lines if (op := opcode(line))] for name, lines in computations(hlo).items() if name in bodies}


def lowered_program(
    optimizers: Any, starts: int, specialise: bool, program: str, surface: str = "rosenbrock", batch_size: Any = None
) -> tuple[Any, tuple]:
    """The engine's ``program`` ("init", "chunk": full trajectories, or "final": end points)
    for this run, lowered (not compiled), and the arguments it runs on."""
    prep = prepare(RunSpec(surface, optimizers, {"random": starts}, CHUNK_STEPS, batch_size=batch_size, specialise=specialise))
    group = prep.groups[0]
    init, chunk, final = group.kernels
    if program == "init":
        args: tuple = (prep.starts_pad, prep.start_ids, group.hp, prep.env)
        return init.lower(*args), args
    carry, record = init(prep.starts_pad, prep.start_ids, group.hp, prep.env)
    if program == "chunk":
        rows, _ = group.rule.host_rows(group.hp_host, None, CHUNK_STEPS)
        buffers = jax.tree.map(lambda r: np.empty((CHUNK_STEPS, *r.shape), r.dtype), record)
        args = (carry, buffers, prep.start_ids, np.int32(CHUNK_STEPS), group.hp, prep.env, rows)
        return chunk.lower(*args), args
    rows, _ = group.rule.host_rows(group.hp_host, None, FINAL_CHUNK_STEPS)
    args = (carry, prep.start_ids, np.int32(CHUNK_STEPS), group.hp, prep.env, rows)
    return final.lower(*args), args


def step_kernels(compiled_text: str) -> Counter:
    """The opcodes of the kernels in a compiled program's step loop (its largest loop body;
    others are XLA's own small loops, if any)."""
    bodies = while_bodies(compiled_text)
    ops = max(bodies.values(), key=len) if bodies else []
    return Counter(op for op in ops if op not in FREE)


def kernel_counts(
    optimizers: Any, starts: int, specialise: bool, program: str, surface: str = "rosenbrock", batch_size: Any = None
) -> tuple[int, Counter]:
    """Kernels in the step loop of the chunk program (full trajectories) or the end-points
    program, and their opcodes."""
    lowered, _ = lowered_program(optimizers, starts, specialise, program, surface, batch_size)
    work = step_kernels(lowered.compile().as_text())
    return sum(work.values()), work


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="adam")
    parser.add_argument("--starts", type=int, default=1000)
    args = parser.parse_args(argv)
    print(f"{args.preset} on rosenbrock, {args.starts} starts, JAX {jax.__version__}, {jax.devices()[0].platform}")
    for program in ("chunk", "final"):
        for specialise in (False, True):
            n, ops = kernel_counts(args.preset, args.starts, specialise, program)
            kind = "specialised" if specialise else "general"
            print(f"{program:>5} {kind:>12}: {n} kernels per step  {dict(ops.most_common())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
