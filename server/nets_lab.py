"""The network lab behind the server: a lab request → errorscape.nets arguments (with the lab's
limits), the runs kept for the plane and Hessian requests that follow them, and what those
answer.  Training is seeded, so a run that is no longer kept is trained again, to the same
bits, when a later request needs it."""

from __future__ import annotations

import collections
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from errorscape import nets
from errorscape.nets.field import field
from errorscape.nets.landscape import project
from errorscape.nets.tasks import TASKS
from errorscape.nets.train import NetChunk
from errorscape.server.nets_models import FieldRequest, LabSpec, LineRequest, Pick, PlaneRequest
from errorscape.server.requests import TooLarge
from errorscape.server.serialize import finite_float, finite_list
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.limits import (
    MAX_LAB_CHECKPOINTS,
    MAX_LAB_PARAMS,
    MAX_LAB_RECORDS,
    MAX_LAB_WORK,
)

KEPT_RUNS = 4  # recent runs kept for the requests about them
KEPT_FLOATS = 1 << 25  # at most this many parameters kept over all of them (128 MiB)
HW_NETWORKS = 32  # networks of the minimum-ratio-against-loss figure (a full Hessian each)
HW_MAX_PARAMS = 1024  # … only while each Hessian is quick
# The lab's full spectrum stops below the library's MAX_HESSIAN_PARAMS: a 10-layer network
# (P = 2,850) took 10.6 s for its Hessian here, too long to wait for after every run.
SPECTRUM_MAX_PARAMS = 2048
# Lanczos iterations for λmax in the lab: on the lessons' networks 20 and 30 gave λmax equal to
# 80's to 2e-15 (relative), at a third of the time.
LANCZOS_ITERATIONS = 30
# What the lab shows first: Adam at 0.01 trains every task here within a thousand steps.
DEFAULT_TASK = "moons"
DEFAULT_OPTIMIZER = {"preset": "adam", "lr": 0.01}
# The charts beside the loss chart in the lab, in the order of their tabs.
LAB_CHARTS = ("acc", "grad", "lr", "spectrum", "sharpness", "ratio", "line")
DEFAULT_PLANE = "pca"  # the plane the path spans: the whole path in view (a random plane shows a dot)


@dataclass(frozen=True)
class LabArgs:
    task: nets.Task
    model: nets.Model
    optimizers: list[dict[str, Any]]
    networks: int
    steps: int
    batch_size: list[int]
    seed: int
    record_every: int
    checkpoint_every: int  # a multiple of record_every

    def train_kwargs(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "model": self.model,
            "optimizers": self.optimizers,
            "networks": self.networks,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "record_every": self.record_every,
        }


def choice_value(member: Any) -> str:
    """A request's choice (a member of nets_models' choice enums) as the name the core takes."""
    return str(member.value)


def lab_args(spec: LabSpec, work_limit: int = MAX_LAB_WORK) -> LabArgs:
    """The request as errorscape.nets arguments; a FieldError names what is out of range, a
    TooLarge what is over the lab's limits."""
    t = spec.task
    try:
        task = nets.task(t.name.value, t.n_train, t.n_test, t.noise, t.shift, t.label_noise, t.seed, t.feature_scale)
    except FieldError as err:
        raise err.within("task") from None
    m = spec.model
    model = nets.Model(tuple(m.hidden), choice_value(m.activation), choice_value(m.norm), choice_value(m.loss), m.init_scale)
    model.check_task(task)
    params = model.size(task)
    if params > MAX_LAB_PARAMS:
        raise TooLarge(f"model: at most {MAX_LAB_PARAMS} parameters per network in the lab; this one has {params}")
    n = len(task.y_train)
    configs = len(spec.optimizers)
    sizes = spec.batch_size if isinstance(spec.batch_size, list) else [spec.batch_size] * configs
    if len(sizes) != configs:
        raise FieldError(("batch_size",), f"give one batch size, or one per configuration ({configs})")
    if any(b is not None and b > n for b in sizes):
        raise FieldError(("batch_size",), f"at most n_train = {n} (null: full batch)")
    batch = [n if b is None else int(b) for b in sizes]
    work = spec.networks * spec.steps * params * sum(batch)
    if work > work_limit:
        raise TooLarge(
            f"run too large: networks × steps × parameters × batch size (summed over configurations) must be at most {work_limit:.0e}"
        )
    record_every = max(1, math.ceil(spec.steps / MAX_LAB_RECORDS))
    checkpoint_every = record_every * max(1, math.ceil(spec.steps / record_every / MAX_LAB_CHECKPOINTS))
    return LabArgs(
        task,
        model,
        [o.as_engine_spec() for o in spec.optimizers],
        spec.networks,
        spec.steps,
        batch,
        spec.seed,
        record_every,
        checkpoint_every,
    )


@dataclass
class LabRun:
    """What the later requests need of a run: the final parameters [C, N, P], thinned
    checkpoints [C, K, N, P] at ``checkpoint_steps`` [K], the final training loss [C, N]."""

    final: np.ndarray
    checkpoints: np.ndarray
    checkpoint_steps: np.ndarray
    final_train_loss: np.ndarray


class RunStore:
    """The recent runs, by request; thread-safe (the compute threads read and write it)."""

    def __init__(self) -> None:
        self._runs: collections.OrderedDict[str, LabRun] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> LabRun | None:
        with self._lock:
            run = self._runs.get(key)
            if run is not None:
                self._runs.move_to_end(key)
            return run

    def put(self, key: str, run: LabRun) -> None:
        with self._lock:
            self._runs[key] = run
            self._runs.move_to_end(key)
            while len(self._runs) > KEPT_RUNS or (
                len(self._runs) > 1 and sum(r.checkpoints.size for r in self._runs.values()) > KEPT_FLOATS
            ):
                self._runs.popitem(last=False)


STORE = RunStore()


def run_key(spec: LabSpec) -> str:
    return spec.model_dump_json(exclude={"type"} if hasattr(spec, "type") else None)


class Collector:
    """Gathers a streamed run's chunks into a LabRun."""

    def __init__(self, args: LabArgs) -> None:
        self.args = args
        self.steps: list[np.ndarray] = []
        self.checkpoints: list[np.ndarray] = []
        self.last: NetChunk | None = None

    def add(self, chunk: NetChunk) -> None:
        keep = chunk.steps % self.args.checkpoint_every == 0
        keep |= chunk.steps == self.args.steps
        if chunk.checkpoints is not None and keep.any():
            self.steps.append(chunk.steps[keep])
            self.checkpoints.append(np.array(chunk.checkpoints[:, keep], np.float32))
        self.last = chunk

    def run(self) -> LabRun:
        assert self.last is not None
        return LabRun(
            final=np.array(self.last.params, np.float32),
            checkpoints=np.concatenate(self.checkpoints, axis=1),
            checkpoint_steps=np.concatenate(self.steps),
            final_train_loss=np.array(self.last.train_loss[:, -1], np.float64),
        )


def chunks(args: LabArgs) -> Iterator[NetChunk]:
    return nets.train_chunks(**args.train_kwargs(), checkpoints=True)


def lab_run(spec: LabSpec) -> tuple[LabArgs, LabRun]:
    """The run a request names: kept, or trained again (seeded: the same numbers)."""
    args = lab_args(spec)
    key = run_key(spec)
    run = STORE.get(key)
    if run is None:
        collect = Collector(args)
        for chunk in chunks(args):
            collect.add(chunk)
        run = collect.run()
        STORE.put(key, run)
    return args, run


def page_questions(args: LabArgs, chart: str, plane: str) -> list[tuple[str, Callable[[LabArgs, LabRun], object]]]:
    """What the page asks about a finished run when a scene opens (labview.js lookAtPicked), by
    name: the picked network's picture, plane and line to another network (otherNetwork in
    labstate.js), with the requests' default grids (nets_models), its Hessian, and the
    homework's figure only while its chart (``ratio``) is shown."""
    pick = Pick()
    other = Pick(config=1 % len(args.optimizers), network=0 if len(args.optimizers) > 1 else 1 % args.networks)
    plane_grid, span = PlaneRequest.model_fields["grid"].default, PlaneRequest.model_fields["span"].default
    questions: list[tuple[str, Callable[[LabArgs, LabRun], object]]] = [
        ("field", lambda a, r: _field_answer(a, r, pick, FieldRequest.model_fields["grid"].default)),
        ("plane", lambda a, r: _plane_answer(a, r, pick, plane, plane_grid, span)),
        ("line", lambda a, r: _line_answer(a, r, pick, other, LineRequest.model_fields["n"].default)),
        ("hessian", lambda a, r: _hessian_answer(a, r, pick)),
    ]
    if chart == "ratio":
        questions.append(("ratios", lambda a, r: _ratios_answer(a, r, pick)))
    return questions


def prepare(spec: LabSpec, chart: str, plane: str) -> None:
    """Compile, without training, what a run of ``spec`` and the page's questions about it run
    (the warm-up of the lessons' scenes; a deep network's programs take tens of seconds to
    compile): the trainer's programs, then the answers' on a stand-in run of the same shapes,
    initialisations in place of trained networks."""
    args = lab_args(spec)
    nets.prepare(**args.train_kwargs(), checkpoints=True)
    run = _stand_in(args)
    for _, ask in page_questions(args, chart, plane):
        ask(args, run)


def _stand_in(args: LabArgs) -> LabRun:
    """A run with the shapes a run of ``args`` that nothing diverged in would keep (Collector):
    distinct initialisations as its checkpoints, the last as its final networks."""
    records = [0, *(min((j + 1) * args.record_every, args.steps) for j in range(math.ceil(args.steps / args.record_every)))]
    kept = np.array([k for k in records if k % args.checkpoint_every == 0 or k == args.steps])
    path = np.stack([args.model.init(args.task, args.networks, seed=k) for k in range(len(kept))], axis=1)  # [N, K, P]
    checkpoints = np.broadcast_to(np.moveaxis(path, 0, 1)[None], (len(args.optimizers), len(kept), *path.shape[::2]))
    return LabRun(
        final=np.array(checkpoints[:, -1]),
        checkpoints=checkpoints,
        checkpoint_steps=kept,
        final_train_loss=np.zeros((len(args.optimizers), args.networks)),
    )


def _picked(run: LabRun, pick: Pick) -> np.ndarray:
    c, n, _ = run.final.shape
    if pick.config >= c or pick.network >= n:
        raise FieldError(("network",), f"the run has {c} configurations and {n} networks")
    theta = run.final[pick.config, pick.network]
    if not np.all(np.isfinite(theta)):
        raise FieldError(("network",), "this network diverged: its parameters are not finite")
    return theta


def chunk_message(chunk: NetChunk, run_id: int) -> dict[str, Any]:
    """A chunk's records as the stream sends them: [C][k][N] per measure, null for NaN."""

    def rows(a: np.ndarray) -> Any:
        return finite_list(a)

    return {
        "type": "frame",
        "run": run_id,
        "steps": chunk.steps.tolist(),
        "train_loss": rows(chunk.train_loss),
        "test_loss": rows(chunk.test_loss),
        "train_acc": rows(chunk.train_acc),
        "test_acc": rows(chunk.test_acc),
        "grad_norm": rows(chunk.grad_norm),
        "done": chunk.done,
        "total": chunk.total,
        "diverged_at": chunk.diverged_at.tolist(),
    }


def task_points(task: nets.Task) -> dict[str, Any]:
    """The task's points for its picture: inputs (2-D: both axes; 1-D: x), labels or targets."""
    return {
        "kind": task.kind,
        "classes": task.classes,
        "input_dim": task.input_dim,
        "x_train": finite_list(task.x_train[:, :2]),
        "y_train": finite_list(task.y_train),
        "x_test": finite_list(task.x_test[:, :2]),
        "y_test": finite_list(task.y_test),
    }


def field_answer(spec: LabSpec, pick: Pick, grid: int) -> dict[str, Any]:
    return _field_answer(*lab_run(spec), pick, grid)


def _field_answer(args: LabArgs, run: LabRun, pick: Pick, grid: int) -> dict[str, Any]:
    f = field(args.task, args.model, _picked(run, pick), grid)
    return {
        "x": finite_list(f.x),
        "y": None if f.y is None else finite_list(f.y),
        "value": finite_list(f.value),
        "confidence": None if f.confidence is None else finite_list(f.confidence),
    }


def plane_answer(spec: LabSpec, pick: Pick, kind: str, grid: int, span: float) -> dict[str, Any]:
    """The loss on a plane around the picked network, its path, and the other configurations'
    networks of the same initialisation, projected (a ``points`` plane holds the first two)."""
    return _plane_answer(*lab_run(spec), pick, kind, grid, span)


def _plane_answer(args: LabArgs, run: LabRun, pick: Pick, kind: str, grid: int, span: float) -> dict[str, Any]:
    center = _picked(run, pick)
    path = run.checkpoints[pick.config, :, pick.network]
    path = path[np.all(np.isfinite(path), axis=1)]
    others = [c for c in range(run.final.shape[0]) if c != pick.config and np.all(np.isfinite(run.final[c, pick.network]))]
    points = run.final[others, pick.network] if others else None
    if kind == "points" and (points is None or len(points) < 2):
        raise FieldError(("kind",), "a points plane needs two other configurations' networks that did not diverge")
    p = nets.plane(
        args.task,
        args.model,
        center,
        kind=kind,
        points=points[:2] if kind == "points" and points is not None else None,
        path=path,
        n=grid,
        span=span,
        seed=args.seed,
    )
    other_paths = []
    for c in others:
        pc = run.checkpoints[c, :, pick.network]
        pc = pc[np.all(np.isfinite(pc), axis=1)]
        xy = project(p.directions, p.center, pc) if len(pc) else np.zeros((0, 2))
        other_paths.append({"config": c, "x": finite_list(xy[:, 0]), "y": finite_list(xy[:, 1])})
    assert p.path_xy is not None
    return {
        "kind": p.kind,
        "x": finite_list(p.x),
        "y": finite_list(p.y),
        "train": finite_list(p.train),
        "test": finite_list(p.test),
        "path": {"config": pick.config, "x": finite_list(p.path_xy[:, 0]), "y": finite_list(p.path_xy[:, 1])},
        "others": other_paths,
    }


def line_answer(spec: LabSpec, pick: Pick, other: Pick, n: int) -> dict[str, Any]:
    """The loss along the straight line from the picked network (α = 0) to another (α = 1),
    half a length past both: a barrier between them, or one valley (Goodfellow et al. 2015)."""
    return _line_answer(*lab_run(spec), pick, other, n)


def _line_answer(args: LabArgs, run: LabRun, pick: Pick, other: Pick, n: int) -> dict[str, Any]:
    a, b = _picked(run, pick), _picked(run, other)
    line = nets.interpolate(args.task, args.model, a, b, n=n)
    return {
        "alpha": finite_list(line.alpha),
        "train": finite_list(line.train_loss),
        "test": finite_list(line.test_loss),
        "distance": finite_float(np.linalg.norm(b.astype(np.float64) - a)),
    }


def hessian_answer(spec: LabSpec, pick: Pick) -> dict[str, Any]:
    """The picked network's spectrum and verdicts (null above MAX_HESSIAN_PARAMS parameters,
    where only λmax is computed), λmax along its training (against 2/η: the edge of
    stability) and each configuration's median λmax at the end (the homework's figure over
    networks is :func:`ratios_answer`)."""
    return _hessian_answer(*lab_run(spec), pick)


def _hessian_answer(args: LabArgs, run: LabRun, pick: Pick) -> dict[str, Any]:
    theta = _picked(run, pick)
    path = run.checkpoints[pick.config, :, pick.network]
    alive = np.all(np.isfinite(path), axis=1)
    finals = [f[np.all(np.isfinite(f), axis=1)] for f in run.final[:, :HW_NETWORKS]]
    whole = theta.size <= SPECTRUM_MAX_PARAMS
    # One Lanczos call for every λmax the answer holds: each call of a new size is a compile
    # (seconds for a deep network), and the sizes here change with the run.
    parts = [path[alive], *finals, *([] if whole else [theta[None]])]
    lams = np.split(_sharpness(args, np.concatenate(parts)), np.cumsum([len(p) for p in parts])[:-1])
    answer: dict[str, Any] = {
        "params": int(theta.size),
        "sharpness": {"steps": run.checkpoint_steps[alive].tolist(), "lambda_max": finite_list(lams[0])},
        # Each configuration's median λmax over its first networks at the end, null where all
        # diverged: how sharp each configuration's minima are.
        "lambda_max_by_config": [finite_float(np.median(lam)) if len(lam) else None for lam in lams[1 : 1 + len(finals)]],
    }
    if not whole:
        # Too many parameters for the whole matrix here: λmax by Lanczos, no spectrum.
        none = dict.fromkeys(("eigenvalues", "minimum_ratio", "flat_share", "positive_share", "per_layer_ratio"))
        return {**answer, **none, "lambda_max": finite_float(lams[-1][0])}
    h = nets.hessian(args.task, args.model, theta)
    answer.update(
        {
            "eigenvalues": finite_list(h.eigenvalues),
            "lambda_max": finite_float(h.lambda_max),
            "minimum_ratio": finite_float(h.minimum_ratio),
            "flat_share": finite_float(h.flat_share),
            "positive_share": finite_float(h.positive_share),
            "per_layer_ratio": finite_float(h.per_layer_ratio),
        }
    )
    return answer


def ratios_answer(spec: LabSpec, pick: Pick) -> dict[str, Any]:
    """The homework's figure for the picked network's configuration: the minimum ratio (whole
    Hessian and per-layer blocks) against the training loss of its first networks; ``networks``
    null when a network has more than HW_MAX_PARAMS parameters (a full Hessian each).  Its own
    request: the spectrum comes back without waiting for these."""
    return _ratios_answer(*lab_run(spec), pick)


def _ratios_answer(args: LabArgs, run: LabRun, pick: Pick) -> dict[str, Any]:
    _picked(run, pick)
    finals = run.final[pick.config, :HW_NETWORKS]
    ok = np.all(np.isfinite(finals), axis=1)
    if finals.shape[-1] > HW_MAX_PARAMS or not ok.any():
        return {"networks": None}
    hs = nets.hessian(args.task, args.model, finals[ok])
    return {
        "networks": {
            "network": np.flatnonzero(ok).tolist(),
            "train_loss": finite_list(run.final_train_loss[pick.config, :HW_NETWORKS][ok]),
            "minimum_ratio": finite_list(hs.minimum_ratio),
            "per_layer_ratio": finite_list(hs.per_layer_ratio),
        }
    }


def _sharpness(args: LabArgs, params: np.ndarray) -> np.ndarray:
    return nets.sharpness(args.task, args.model, params, iterations=min(LANCZOS_ITERATIONS, args.model.size(args.task)))


def catalogue() -> dict[str, Any]:
    """GET /api/nets: the tasks, the model's choices and the lab's limits, declared once."""
    from errorscape.nets.landscape import PLANE_KIND, SPAN
    from errorscape.nets.model import ACTIVATION, INIT_SCALE, LOSS, NORM, losses_for
    from errorscape.nets.tasks import FEATURE_SCALE, LABEL_NOISE, SHIFT, task_available
    from errorscape.surfaces import limits

    defaults = LabSpec.model_validate({"task": {"name": DEFAULT_TASK}, "optimizers": [DEFAULT_OPTIMIZER]}).model_dump(mode="json")
    return {
        "defaults": {
            **{k: defaults[k] for k in ("task", "model", "networks", "steps", "batch_size", "seed")},
            **DEFAULT_OPTIMIZER,
            "plane": DEFAULT_PLANE,
        },
        "tasks": [
            {
                "name": name,
                "kind": s.kind,
                "classes": s.classes,
                "description": s.description,
                "size": s.size,
                "noise": s.noise.listing(),
                "losses": list(losses_for(s.kind)),
                "available": task_available(name),
            }
            for name, s in TASKS.items()
        ],
        "task_fields": [f.listing() for f in (SHIFT, LABEL_NOISE, FEATURE_SCALE)],
        "model_fields": [f.listing() for f in (ACTIVATION, NORM, LOSS, INIT_SCALE)],
        "plane_fields": [f.listing() for f in (PLANE_KIND, SPAN)],
        "charts": list(LAB_CHARTS),
        "limits": {
            "max_networks": limits.MAX_LAB_NETWORKS,
            "max_steps": limits.MAX_LAB_STEPS,
            "max_points": limits.MAX_LAB_POINTS,
            "max_params": limits.MAX_LAB_PARAMS,
            "max_depth": limits.MAX_LAB_DEPTH,
            "max_width": limits.MAX_NET_WIDTH,
            "max_work": limits.MAX_LAB_WORK,
            "max_plane": limits.MAX_PLANE_SIDE,
            "hw_networks": HW_NETWORKS,
            "spectrum_max_params": SPECTRUM_MAX_PARAMS,
            "hw_max_params": HW_MAX_PARAMS,
        },
    }
