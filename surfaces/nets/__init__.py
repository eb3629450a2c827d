"""errorscape.nets: real tiny networks, trained many at once, and their error surface.

    from errorscape import nets
    task = nets.task("moons", n_train=512)
    model = nets.Model(hidden=(16, 16))
    run = nets.train(task, model, ["sgd", "adam"], networks=64, steps=2000, batch_size=32)
    h = nets.hessian(task, model, run.final[1, 0])     # full Hessian, minimum ratio
    lam = nets.sharpness(task, model, run.final)         # λmax of every network [C, N]
    p = nets.plane(task, model, run.final[1, 0], kind="filter")
    line = nets.interpolate(task, model, run.final[0, 0], run.final[1, 0])

Bad arguments raise :class:`errorscape.FieldError` naming the field.
"""

from errorscape.nets.hessian import NetHessian, hessian, sharpness
from errorscape.nets.landscape import Interpolation, Plane, interpolate, plane
from errorscape.nets.model import Model
from errorscape.nets.stationary import Stationary, minimize_grad_norm
from errorscape.nets.tasks import TASK_NAMES, TASKS, Task, task
from errorscape.nets.train import NetChunk, NetRun, prepare, train, train_chunks

__all__ = [
    "TASKS",
    "TASK_NAMES",
    "Interpolation",
    "Model",
    "NetChunk",
    "NetHessian",
    "NetRun",
    "Plane",
    "Stationary",
    "Task",
    "hessian",
    "interpolate",
    "minimize_grad_norm",
    "plane",
    "prepare",
    "sharpness",
    "task",
    "train",
    "train_chunks",
]
