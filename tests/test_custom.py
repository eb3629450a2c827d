"""Typed formulas: the whitelist, where errors point, custom surfaces everywhere, bounded caches."""

from __future__ import annotations

import ast
import gc
import math
import re
import weakref
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errorscape import surfaces
from errorscape.surfaces import kernels, registry
from errorscape.surfaces.basins import basin_map
from errorscape.surfaces.critical import analyze, find_critical_points
from errorscape.surfaces.custom import custom_surface
from errorscape.surfaces.formula import FUNCTIONS, MAX_LENGTH, FormulaError, parse
from errorscape.surfaces.grid import loss_grid


def value(text: str, x: float, y: float) -> float:
    return float(parse(text).fn(jnp.float32(x), jnp.float32(y)))


# --- the whitelist --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x**2 + 10*y**2 + 0.3*sin(5*x)", lambda x, y: x**2 + 10 * y**2 + 0.3 * math.sin(5 * x)),
        ("x^2 + y^2", lambda x, y: x**2 + y**2),
        ("-x**2", lambda x, y: -(x**2)),
        ("(x - 1)**3 / 2", lambda x, y: (x - 1) ** 3 / 2),
        ("sqrt(abs(x*y)) + exp(-y) - log(1 + x**2)", lambda x, y: math.sqrt(abs(x * y)) + math.exp(-y) - math.log(1 + x**2)),
        (
            "tanh(x) * sigmoid(y) + tan(0.1*x) + cos(pi*y)",
            lambda x, y: math.tanh(x) / (1 + math.exp(-y)) + math.tan(0.1 * x) + math.cos(math.pi * y),
        ),
        ("minimum(x, y) + maximum(x, 2*y) + e", lambda x, y: min(x, y) + max(x, 2 * y) + math.e),
        ("x**-0.5 + y**0.5", lambda x, y: x**-0.5 + y**0.5),
        ("3", lambda x, y: 3.0),
    ],
)
def test_formulas_evaluate_like_python_math(text, expected):
    for x, y in [(1.5, 0.25), (0.7, 2.0), (3.0, 1.0)]:
        assert value(text, x, y) == pytest.approx(expected(x, y), rel=1e-5, abs=1e-5)


def test_equal_formulas_have_one_canonical_text():
    assert parse("x^2+10*y ^ 2").text == parse(" x ** 2 + 10 * y**2 ").text == "x ** 2 + 10 * y ** 2"


@pytest.mark.parametrize(
    ("text", "columns", "fragment"),
    [
        ("x^2 + z", (7, 7), "unknown name"),
        ("foo(x) + y", (1, 3), "unknown function"),
        ("__import__('os').system('ls')", (1, 23), "attribute access"),
        ("x.real", (1, 6), "attribute access"),
        ("x[0]", (1, 4), "indexing"),
        ("x**y", (4, 4), "exponent must be a number"),
        ("x**100", (4, 6), "exponents must be at most"),
        ("x + 1e400", (5, 9), "numbers must be at most"),
        ("x + 'a'", (5, 7), "only numbers"),
        ("sin(x, y)", (1, 9), "takes 1 argument"),
        ("minimum(x)", (1, 10), "takes 2 arguments"),
        ("sin(x=1)", (7, 7), "keyword"),
        ("sin", (1, 3), "is a function"),
        ("x < y", (1, 5), "comparisons"),
        ("lambda: 1", (1, 9), "not allowed"),
        ("x y", (3, 3), "not a formula"),
        ("x +", (4, 4), "not a formula"),
        ("x + é", (5, 5), "ASCII"),
        ("", (1, 1), "empty"),
        ("x % 2", (1, 5), "only + - * /"),
        ("x +" + "-" * 60 + "y", (None, None), "nested too deeply"),
        ("sin(" * 45 + "x" + ")" * 45, (None, None), "nested too deeply"),
        ("+".join(["x"] * 90), (None, None), "too long"),
        ("x" + "+x" * MAX_LENGTH, (MAX_LENGTH + 1, None), "longer than"),
    ],
)
def test_rejections_say_where(text, columns, fragment):
    with pytest.raises(FormulaError) as info:
        parse(text)
    err = info.value
    assert fragment in err.message
    if columns[0] is not None:
        assert err.column == columns[0]
    if columns[1] is not None:
        assert err.end_column == columns[1]
    assert 1 <= err.column <= err.end_column <= max(len(text), 1) + 1
    assert str(err).startswith("formula: column")


def test_formula_module_never_executes_text():
    source = Path(surfaces.formula.__file__).read_text()
    assert not re.search(r"\b(eval|exec|compile|__import__)\(", source)


# --- fuzzing --------------------------------------------------------------------------------

_TOKENS = ["x", "y", "pi", "e", "1", "2.5", "1e3", "(", ")", "+", "-", "*", "/", "**", "^", ",", " ", ".", "[", "]"]
_TOKENS += [*FUNCTIONS, "import", "os", "lambda", ":", "'", "=", "<", "_", "__class__", "9" * 400]


def _check_outcome(text: str) -> None:
    try:
        f = parse(text)
    except FormulaError as err:
        assert 1 <= err.column <= err.end_column <= len(text) + 1
        return
    out = f.fn(jnp.float32(0.37), jnp.float32(-1.3))
    assert out.shape == () and out.dtype == jnp.float32


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_random_strings_give_a_formula_or_a_located_error(text):
    _check_outcome(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=30))
def test_random_token_soup_gives_a_formula_or_a_located_error(tokens):
    _check_outcome("".join(tokens))


def _leaf():
    return st.one_of(
        st.sampled_from(["x", "y", "pi", "e"]).map(lambda n: ("name", n)),
        st.floats(min_value=-50, max_value=50, allow_nan=False).map(lambda v: ("num", round(v, 3))),
    )


def _tree(children):
    unary = st.tuples(st.sampled_from(["neg", *[n for n, (k, _) in FUNCTIONS.items() if k == 1]]), children)
    binary = st.tuples(st.sampled_from(["+", "-", "*", "/", "minimum", "maximum"]), children, children)
    power = st.tuples(st.just("**"), children, st.integers(-4, 4))
    return st.one_of(unary, binary, power)


_MATH = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
}


def _render(t) -> str:
    kind = t[0]
    if kind == "name":
        return t[1]
    if kind == "num":
        return f"({t[1]!r})"
    if kind == "neg":
        return f"(-{_render(t[1])})"
    if kind in ("+", "-", "*", "/"):
        return f"({_render(t[1])} {kind} {_render(t[2])})"
    if kind == "**":
        return f"({_render(t[1])}) ** {t[2]}"
    if kind in ("minimum", "maximum"):
        return f"{kind}({_render(t[1])}, {_render(t[2])})"
    return f"{kind}({_render(t[1])})"


def _reference(t, x: float, y: float) -> np.float32:
    """The same tree evaluated by NumPy in float32, operation by operation: the compiled formula
    must agree.  (A float64 oracle disagrees where float32 itself is ill-conditioned, e.g. the
    sine of 25.188⁴, whose float32 argument is off by a few hundredths; those are not compared.)"""
    kind = t[0]
    f32 = np.float32
    with np.errstate(all="ignore"):
        if kind == "name":
            return f32({"x": x, "y": y, "pi": math.pi, "e": math.e}[t[1]])
        if kind == "num":
            return f32(t[1])
        if kind == "neg":
            return -_reference(t[1], x, y)
        if kind == "**":
            return f32(_reference(t[1], x, y) ** t[2])
        if kind in ("+", "-", "*", "/", "minimum", "maximum"):
            a, b = _reference(t[1], x, y), _reference(t[2], x, y)
            ops = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "minimum": np.minimum, "maximum": np.maximum}
            return f32(ops[kind](a, b))
        arg = _reference(t[1], x, y)
        if kind in ("sin", "cos", "tan") and abs(arg) > 100:
            # Past 100 a float32 argument is off by more than its period allows to compare
            # (x*x*x*x and x**4 round differently): no verdict, not compared.
            return f32(np.nan)
        return f32(_MATH[kind](arg))


def _size(t) -> int:
    return 1 + sum(_size(c) for c in t[1:] if isinstance(c, tuple))


@settings(max_examples=200, deadline=None)
@given(st.recursive(_leaf(), _tree, max_leaves=12))
def test_random_whitelisted_trees_compile_to_what_they_say(tree):
    text = _render(tree)
    try:
        f = parse(text)
    except FormulaError as err:
        # Only the size bounds may refuse a whitelisted tree.
        assert "too long" in err.message or "too deeply" in err.message or "longer than" in err.message
        return
    for x, y in [(0.37, -1.3), (1.1, 0.6)]:
        got = float(f.fn(jnp.float32(x), jnp.float32(y)))
        want = float(_reference(tree, x, y))
        if math.isfinite(want) and abs(want) < 1e4 and math.isfinite(got):
            # float32 against float32: transcendental functions may differ in the last bits, and
            # a dozen operations (tan near its poles) can amplify that
            assert got == pytest.approx(want, rel=2e-2, abs=2e-2) or abs(want) > 1e3
        assert np.float32(got).dtype == np.float32


@settings(max_examples=150, deadline=None)
@given(st.recursive(_leaf(), _tree, max_leaves=6).map(_render), st.sampled_from(["a.b", "f(x)", "x[0]", "x if y else 1", "x == y", "{}"]))
def test_a_forbidden_part_anywhere_is_refused_where_it_is(text, bad):
    planted = f"{text} + ({bad})"
    with pytest.raises(FormulaError) as info:
        parse(planted)
    start = len(text) + 4  # 0-based start of the planted part
    assert info.value.column - 1 >= start - 1  # the error points at the planted part, not before it
    assert ast.parse(text.replace("^", "**"), mode="eval")  # the rest was fine


# --- custom surfaces ------------------------------------------------------------------------


def test_custom_surface_is_the_formula_on_a_grid_and_in_the_engine():
    s = custom_surface("x**2 + 10*y**2 + 0.3*sin(5*x)", [[-2, 2], [-1, 1]])
    assert s.name.startswith("custom:") and s.domain == ((-2.0, 2.0), (-1.0, 1.0))
    assert custom_surface("x^2 + 10*y^2 + 0.3*sin(5*x)", [[-2, 2], [-1, 1]]) is s  # same canonical formula
    g = loss_grid(s, 9)
    xs, ys = np.meshgrid(g.x, g.y)
    np.testing.assert_allclose(g.z, xs**2 + 10 * ys**2 + 0.3 * np.sin(5 * xs), rtol=1e-5, atol=1e-6)
    # Gradient descent with η = 0.05 on x² + 10y² (no wiggle) converges to the origin.
    bowl = custom_surface("x**2 + 10*y**2")
    r = surfaces.simulate(bowl, {"preset": "sgd", "lr": 0.05}, starts=[[2.0, 1.0]], steps=200)
    assert r.loss[0, -1, 0] < 1e-6 and r.diverged_at[0, 0] == -1


def test_custom_noise_is_zero_in_the_full_batch_and_a_tilt_in_minibatches():
    s = custom_surface("x**2 + y**2")
    full = surfaces.simulate(s, "sgd", starts=[[1.0, 1.0]], steps=30, surface_params={"noise": 1.0})
    exact = surfaces.simulate(s, "sgd", starts=[[1.0, 1.0]], steps=30)
    np.testing.assert_array_equal(full.positions, exact.positions)
    small = surfaces.simulate(s, "sgd", starts=[[1.0, 1.0]], steps=30, batch_size=4, surface_params={"noise": 1.0})
    assert not np.array_equal(small.positions, exact.positions)
    with pytest.raises(ValueError, match=r"surface_params\.noise"):
        surfaces.simulate(s, "sgd", starts=[[1.0, 1.0]], steps=3, surface_params={"noise": 99.0})


def test_custom_hessian_and_critical_points_are_known_ones():
    saddle = analyze(custom_surface("x**2 - y**2"), [0.0, 0.0])
    assert saddle.kind == "saddle"
    np.testing.assert_allclose(saddle.eigenvalues, [-2.0, 2.0], atol=1e-5)
    typed = custom_surface("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", [[-5, 5], [-5, 5]])
    found = find_critical_points(typed)
    builtin = find_critical_points("himmelblau")
    assert len(found) == len(builtin) == 9
    for a, b in zip(found, builtin, strict=True):
        assert a.kind == b.kind
        np.testing.assert_allclose(a.point, b.point, atol=2e-3)


def test_custom_basin_map_uses_the_minima_the_search_finds():
    s = custom_surface("(x^2 - 1)^2 + y^2", [[-2, 2], [-1, 1]])
    m = basin_map(s, "sgd", grid=16, steps=300)
    assert sorted(round(float(p.point[0]), 3) for p in m.minima) == [-1.0, 1.0]
    left = m.basin.reshape(16, 16)[:, :8]
    right = m.basin.reshape(16, 16)[:, 8:]
    assert len(set(left.ravel())) == 1 and len(set(right.ravel())) == 1 and left[0, 0] != right[0, 0]


@pytest.mark.parametrize(
    ("domain", "fragment"),
    [([[1, 0], [0, 1]], "min < max"), ([[0, 1e9], [0, 1]], "within"), ("wide", "expected"), ([[0, float("nan")], [0, 1]], "finite")],
)
def test_bad_domains_are_refused(domain, fragment):
    with pytest.raises(ValueError, match=fragment):
        custom_surface("x + y", domain)


# --- bounded memory -------------------------------------------------------------------------


def test_many_distinct_formulas_keep_a_bounded_number_of_surfaces():
    for i in range(300):
        custom_surface(f"x**2 + {i}*y**2")
    assert registry.custom_surface_count() == registry.CUSTOM_SURFACES


def test_a_flood_of_formulas_leaves_bounded_caches_and_frees_the_rest(monkeypatch):
    monkeypatch.setattr(registry, "CUSTOM_SURFACES", 3)
    monkeypatch.setattr(kernels, "CUSTOM_KERNEL_CACHE_SIZE", 2)
    for fn in registry.surface_caches():
        monkeypatch.setattr(fn, "custom_size", 2)
    kernels.clear_compiled()
    made: list[weakref.ref] = []
    for i in range(10):
        s = custom_surface(f"x**2 + {i + 1}*y**2 + 0.1*x*y")
        made.append(weakref.ref(s))
        loss_grid(s, 8)
        surfaces.simulate(s, "sgd", starts=[[1.0, 1.0]], steps=5)
        analyze(s, [0.0, 0.0])
        del s
    for fn in registry.surface_caches():
        _, custom = fn.sizes()
        assert custom <= 2, fn.__qualname__
    assert kernels.custom_kernel_count() <= 2
    assert registry.custom_surface_count() <= 3
    gc.collect()
    alive = sum(r() is not None for r in made)
    # Whatever still holds a surface is one of the bounded caches above: at most the newest few.
    assert alive <= 3, f"{alive} of 10 custom surfaces are still alive"
    assert made[0]() is None
