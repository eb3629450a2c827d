"""Declared fields: a number with its bounds, or a choice among names.  Every bound, default and
choice of an optimizer is declared once as one of these; the checks in the core, the request
models of the server and the controls of the page are all built from the declaration."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from errorscape.surfaces.errors import FieldError


@dataclass(frozen=True)
class NumberField:
    """A finite number in [low, high] (or (low, high] where ``low_ok`` is false)."""

    name: str
    low: float
    high: float
    default: float
    low_ok: bool = True  # whether ``low`` itself is allowed (a learning rate of 0 is not)
    log: bool = False  # best set on a log scale
    # The range a slider offers, inside the bounds; None: the bounds themselves.  A control's
    # range is narrower where the far ends teach nothing (a momentum of 0.999 only stalls).
    control: tuple[float, float] | None = None
    # (choice field, values): the field matters only when that choice takes one of these values
    # (λ only with heavy-ball or Nesterov momentum).  None: always.
    shown_when: tuple[str, tuple[str, ...]] | None = None
    # False: no control; the page derives the value (the decay horizon is the run's steps).
    control_shown: bool = True
    integer: bool = False  # a count: the control steps by one
    description: str = ""

    def check(self, value: Any, loc: Sequence[str | int]) -> float:
        # bool is an int in Python; a toggle passed where a number belongs is a mistake.
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise FieldError(loc, f"expected a number, got {type(value).__name__}")
        v = float(value)
        if not math.isfinite(v) or v > self.high or v < self.low or (v == self.low and not self.low_ok):
            rel = ">=" if self.low_ok else ">"
            raise FieldError(loc, f"must be finite, {rel} {self.low:g} and <= {self.high:g}")
        return v

    def listing(self) -> dict[str, Any]:
        """The declaration as the server serves it (GET /api/optimizers)."""
        low, high = self.control if self.control is not None else (self.low, self.high)
        return {
            "name": self.name,
            "kind": "number",
            "min": self.low,
            "max": self.high,
            "min_allowed": self.low_ok,
            "default": self.default,
            "log": self.log,
            "control_min": low,
            "control_max": high,
            "control": self.control_shown,
            "integer": self.integer,
            "shown_when": None if self.shown_when is None else {"field": self.shown_when[0], "values": list(self.shown_when[1])},
            "description": self.description,
        }


@dataclass(frozen=True)
class ChoiceField:
    """One of a fixed list of names."""

    name: str
    choices: tuple[str, ...]
    default: str
    description: str = ""
    number_hint: str = ""  # what to say when a number is given (a coefficient where a mode belongs)

    def check(self, value: Any, loc: Sequence[str | int]) -> str:
        if not isinstance(value, str) or value not in self.choices:
            hint = f"; {self.number_hint}" if self.number_hint and isinstance(value, (int, float)) else ""
            raise FieldError(loc, f"expected one of {', '.join(self.choices)}{hint}")
        return value

    def listing(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "choice",
            "choices": list(self.choices),
            "default": self.default,
            "description": self.description,
        }


Field = NumberField | ChoiceField
