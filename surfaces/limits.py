"""The core's hard limits on a run's size, declared once.  The server's settings (server/settings.py)
may lower each of them, never raise it; the request models and the page read them from here or
from the server's limits answer (GET /api/limits)."""

from __future__ import annotations

MAX_CONFIGS = 8  # configurations raced in one run
MAX_STARTS = 1 << 22  # starts in one run
MAX_STEPS = 100_000  # steps in one run
MAX_GRID = 2048  # points per side of a start grid or a basin map
MAX_GRID_SIDE = 512  # points per side of a loss grid
MAX_BATCH = 1 << 20  # examples in a minibatch (each surface's data set bounds it further)
MAX_SEED = 2**32 - 1  # seeds are unsigned 32-bit integers

# Networks (errorscape.nets)
MAX_NET_POINTS = 1 << 16  # training or test points of a task
MAX_NETWORKS = 4096  # networks trained at once
MAX_NET_PARAMS = 1 << 20  # parameters of one network
MAX_NET_DEPTH = 32  # hidden layers
MAX_NET_WIDTH = 1024  # units in a hidden layer
MAX_HESSIAN_PARAMS = 4096  # parameters for a full Hessian (its P × P matrix and eigendecomposition)
MAX_NET_FLOATS = 1 << 28  # floats a network run may keep (checkpoints [C, K, N, P] above all)
MAX_PLANE_SIDE = MAX_GRID_SIDE  # points per side of a loss plane

# The network lab in the server (a browser's request): small enough to answer while a person
# waits, and for every network's full Hessian.
MAX_LAB_NETWORKS = 256  # networks per lab run
MAX_LAB_STEPS = 20_000  # steps per lab run
MAX_LAB_POINTS = 2048  # training or test points of a lab task
MAX_LAB_PARAMS = 1 << 15  # parameters of a lab network (the full Hessian stops at MAX_HESSIAN_PARAMS)
MAX_LAB_DEPTH = 16  # hidden layers of a lab network
MAX_LAB_WORK = 20_000_000_000  # configurations × networks × steps × batch × parameters (multiply-adds, about)
MAX_LAB_RECORDS = 200  # records of a lab run's curves (steps between records grow with the run)
MAX_LAB_CHECKPOINTS = 50  # parameter checkpoints kept per network for its path on a plane
