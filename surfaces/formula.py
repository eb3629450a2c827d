"""A loss surface typed as a formula in x and y, compiled to ``jax.numpy`` without ``eval``.

The text is parsed with Python's ``ast`` and every node is checked against a whitelist:
numbers, the names ``x``, ``y``, ``pi`` and ``e``, the operators + − * / ** (``^`` is read as
``**``), unary minus and plus, parentheses and calls of the functions in :data:`FUNCTIONS`.
Nothing else passes — no attribute access, no subscripts, no keywords, no other names — and
the checked tree is then turned into a closure of ``jax.numpy`` operations by walking it, so
the text is never executed as code.

Bounds keep a formula cheap to compile and evaluate: at most :data:`MAX_LENGTH` characters,
:data:`MAX_NODES` tree nodes, nesting depth :data:`MAX_DEPTH` (brackets, calls and right
operands; a long chain a + b + c + … is not deep), exponents that are number
literals of size at most :data:`MAX_EXPONENT`, numbers of size at most :data:`MAX_NUMBER`.
Every rejection is a :class:`FormulaError` that says where: ``column`` and ``end_column``
(1-based, end inclusive) in the text as typed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

MAX_LENGTH = 300
MAX_NODES = 160
MAX_DEPTH = 40
MAX_EXPONENT = 12.0
MAX_NUMBER = 1e6

# A jax array while traced; a NumPy float32 for constants (they broadcast like one).
Scalar = Any
Fn = Callable[[Scalar, Scalar], Scalar]

# name -> (number of arguments, jax function)
FUNCTIONS: dict[str, tuple[int, Callable[..., Scalar]]] = {
    "sin": (1, jnp.sin),
    "cos": (1, jnp.cos),
    "tan": (1, jnp.tan),
    "exp": (1, jnp.exp),
    "log": (1, jnp.log),
    "sqrt": (1, jnp.sqrt),
    "abs": (1, jnp.abs),
    "tanh": (1, jnp.tanh),
    "sigmoid": (1, jax.nn.sigmoid),
    "minimum": (2, jnp.minimum),
    "maximum": (2, jnp.maximum),
}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
ALLOWED_NAMES = (*VARIABLES, *CONSTANTS, *FUNCTIONS)


class FormulaError(ValueError):
    """A formula refused, with where (1-based columns, end inclusive) in the text as typed."""

    def __init__(self, message: str, column: int, end_column: int) -> None:
        self.message = message
        self.column = max(1, int(column))
        self.end_column = max(self.column, int(end_column))
        where = f"column {self.column}" if self.end_column == self.column else f"columns {self.column}-{self.end_column}"
        super().__init__(f"formula: {where}: {message}")


@dataclass(frozen=True)
class Formula:
    text: str  # canonical form (ast.unparse of the checked tree): equal formulas, equal text
    fn: Fn  # (x, y) -> loss, jax.numpy


_BINARY: dict[type, Callable[[Scalar, Scalar], Scalar]] = {
    ast.Add: jnp.add,
    ast.Sub: jnp.subtract,
    ast.Mult: jnp.multiply,
    ast.Div: jnp.divide,
}


class _Checker:
    """Walks the tree once, refusing anything off the whitelist and building the closure."""

    def __init__(self, caret_columns: list[int], lead: int) -> None:
        # Columns where the typed text had '^' (turned into '**' before parsing): positions
        # in the parsed text move one to the right after each of them.  ``lead`` leading
        # blanks are cut before parsing (ast refuses an indented expression).
        self._carets = caret_columns
        self._lead = lead
        self.nodes = 0

    def typed_column(self, parsed_offset: int) -> int:
        """1-based column in the typed text of a 0-based offset in the parsed text."""
        parsed_offset += self._lead
        shift = 0
        for c in self._carets:
            if c + shift < parsed_offset:
                shift += 1
        return parsed_offset - shift + 1

    def fail(self, node: ast.AST, message: str) -> FormulaError:
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None) or start + 1
        return FormulaError(message, self.typed_column(start), self.typed_column(end - 1))

    def number(self, node: ast.AST) -> float | None:
        """The value of a number literal, or of − / + applied to one; None for anything else."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.number(node.operand)
            if inner is None:
                return None
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        return None

    def build(self, node: ast.AST, depth: int) -> Fn:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"the formula is too long: at most {MAX_NODES} numbers, names and operations")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nested too deeply: at most {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            value = node.value
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise self.fail(node, "only numbers, x and y are allowed here")
            v = float(value)
            if not math.isfinite(v) or abs(v) > MAX_NUMBER:
                raise self.fail(node, f"numbers must be at most {MAX_NUMBER:g} in size")
            c = np.float32(v)
            return lambda x, y: c
        if isinstance(node, ast.Name):
            if node.id == "x":
                return lambda x, y: x
            if node.id == "y":
                return lambda x, y: y
            if node.id in CONSTANTS:
                k = np.float32(CONSTANTS[node.id])
                return lambda x, y: k
            if node.id in FUNCTIONS:
                raise self.fail(node, f"{node.id} is a function: write {node.id}(...)")
            raise self.fail(node, f"unknown name; allowed: {', '.join(ALLOWED_NAMES)}")
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                inner = self.build(node.operand, depth + 1)
                return lambda x, y: -inner(x, y)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1)
            raise self.fail(node, "only unary minus and plus are allowed")
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return self.power(node, depth)
            op = _BINARY.get(type(node.op))
            if op is None:
                raise self.fail(node, "only + - * / and ** (or ^) are allowed")
            # A chain a + b + c nests to the left in the tree but not in the text: only
            # the right operand counts as one level deeper.
            left, right = self.build(node.left, depth), self.build(node.right, depth + 1)
            return lambda x, y: op(left(x, y), right(x, y))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Attribute):
            raise self.fail(node, "attribute access (a.b) is not allowed")
        if isinstance(node, ast.Subscript):
            raise self.fail(node, "indexing (a[b]) is not allowed")
        if isinstance(node, ast.Compare):
            raise self.fail(node, "comparisons are not allowed; use minimum or maximum")
        raise self.fail(node, "not allowed in a formula; use numbers, x, y, + - * / ** and the listed functions")

    def power(self, node: ast.BinOp, depth: int) -> Fn:
        exponent = self.number(node.right)
        if exponent is None:
            raise self.fail(node.right, "an exponent must be a number (for a variable power use exp and log)")
        if not math.isfinite(exponent) or abs(exponent) > MAX_EXPONENT:
            raise self.fail(node.right, f"exponents must be at most {MAX_EXPONENT:g} in size")
        base = self.build(node.left, depth + 1)
        if exponent == int(exponent):
            k = int(exponent)  # an integer power is exact for negative bases too
            return lambda x, y: jax.lax.integer_pow(jnp.asarray(base(x, y), jnp.float32), k)
        p = np.float32(exponent)
        return lambda x, y: jnp.power(base(x, y), p)

    def call(self, node: ast.Call, depth: int) -> Fn:
        if isinstance(node.func, ast.Attribute):
            raise self.fail(node.func, "attribute access (a.b) is not allowed")
        if not isinstance(node.func, ast.Name):
            raise self.fail(node.func, "only the listed functions may be called, by name")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(node.func, f"unknown function; allowed: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise self.fail(node.keywords[0].value, "keyword arguments are not allowed")
        arity, fn = FUNCTIONS[name]
        if len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, f"{name} takes {arity} argument{'s' if arity > 1 else ''}")
        args = [self.build(a, depth + 1) for a in node.args]
        if arity == 1:
            (a,) = args
            return lambda x, y: fn(a(x, y))
        a, b = args
        return lambda x, y: fn(a(x, y), b(x, y))


def parse(text: object) -> Formula:
    """A checked, compiled formula, or :class:`FormulaError` saying where it went wrong."""
    if not isinstance(text, str):
        raise FormulaError("expected the formula as text", 1, 1)
    if not text.strip():
        raise FormulaError("the formula is empty; try x**2 + 10*y**2", 1, 1)
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters", MAX_LENGTH + 1, len(text))
    for i, ch in enumerate(text):
        # One line of printable ASCII: ast's columns are byte offsets, equal to characters here.
        if not (" " <= ch <= "~"):
            raise FormulaError("only printable ASCII characters on one line are allowed", i + 1, i + 1)
    if "#" in text:
        # Python would read the rest as a comment and drop it: text the user typed would be
        # silently ignored.
        at = text.index("#") + 1
        raise FormulaError("'#' is not part of a formula (comments are not allowed)", at, len(text.rstrip()))
    carets = [i for i, ch in enumerate(text) if ch == "^"]
    parsed_text = text.replace("^", "**")
    source = parsed_text.lstrip()
    checker = _Checker(carets, len(parsed_text) - len(source))
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        offset = (err.offset or 0) - 1
        end = max(offset + 1, (err.end_offset or 0) - 1)
        if offset < 0 or err.lineno not in (None, 1):  # reported past the end: the text stops too soon
            offset, end = len(source.rstrip()), len(source.rstrip()) + 1
        msg = (err.msg or "invalid syntax").removesuffix(" (<unknown>, line 1)")
        raise FormulaError(f"not a formula: {msg}", checker.typed_column(offset), checker.typed_column(end - 1)) from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError("not a formula", 1, len(text)) from None
    fn = checker.build(tree.body, 1)

    def formula(x: Scalar, y: Scalar) -> Scalar:
        # A formula without x or y is a constant; broadcasting keeps its shape that of x.
        return fn(x, y) + jnp.zeros_like(x)

    return Formula(text=ast.unparse(tree.body), fn=formula)
