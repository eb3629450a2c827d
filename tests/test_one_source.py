"""One source for every bound, choice, preset and limit: declared in Python, served, enforced
as published, and not written again in the page's code."""

from __future__ import annotations

import json
import re

import pytest

from errorscape.server.app import create_app
from errorscape.server.models import OptimizerSpec
from errorscape.server.settings import Settings
from errorscape.surfaces.custom import CUSTOM_PARAMS, MAX_COORDINATE
from errorscape.surfaces.fields import ChoiceField, NumberField
from errorscape.surfaces.formula import MAX_LENGTH
from errorscape.surfaces.limits import MAX_SEED
from errorscape.surfaces.optax_rules import OPTAX_RULES
from errorscape.surfaces.optimizer import FIELDS, PRESETS
from tests.server_process import ROOT

# Lowered limits, so that "what is published is what is enforced" is tested away from defaults.
SETTINGS = Settings(
    warmup=False,
    compile_cache_dir=None,
    allowed_hosts=["testserver"],
    max_starts=50,
    max_steps=40,
    max_configs=3,
    max_grid=30,
    max_basin_grid=20,
)


@pytest.fixture(scope="module")
def small():
    from fastapi.testclient import TestClient

    with TestClient(create_app(SETTINGS)) as c:
        yield c


def test_the_served_rule_is_the_declaration(client):
    served = client.get("/api/optimizers").json()
    assert [f["name"] for f in served["fields"]] == [f.name for f in FIELDS]
    for field, out in zip(FIELDS, served["fields"], strict=True):
        if isinstance(field, ChoiceField):
            assert out["kind"] == "choice" and out["choices"] == list(field.choices) and out["default"] == field.default
        else:
            assert out["kind"] == "number"
            assert (out["min"], out["max"], out["min_allowed"], out["default"], out["log"]) == (
                field.low,
                field.high,
                field.low_ok,
                field.default,
                field.log,
            )
            low, high = field.control or (field.low, field.high)
            assert field.low <= out["control_min"] == low < high == out["control_max"] <= field.high
    # Presets with every field set, as the page holds them.
    assert set(served["presets"]) == set(PRESETS)
    for name, config in PRESETS.items():
        assert served["presets"][name] == {f.name: getattr(config, f.name) for f in FIELDS}
    for entry in served["optax"]:
        assert [h["name"] for h in entry["hyper"]] == [h.name for h in OPTAX_RULES[entry["name"]].hypers]


def test_the_request_model_is_built_from_the_declaration(client):
    assert set(OptimizerSpec.model_fields) == {"preset", *(f.name for f in FIELDS)}
    schema = client.get("/openapi.json").json()["components"]["schemas"]["OptimizerSpec"]["properties"]
    for field in FIELDS:
        prop = schema[field.name]["anyOf"][0]
        if isinstance(field, NumberField):
            low_key = "minimum" if field.low_ok else "exclusiveMinimum"
            assert (prop[low_key], prop["maximum"]) == (field.low, field.high), field.name
        else:
            target = client.get("/openapi.json").json()["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]]
            assert target["enum"] == list(field.choices)
    # Bounds are JSON Schema keywords a client can read, never pydantic's own names.
    text = json.dumps(client.get("/openapi.json").json())
    assert not re.search(r'"(gt|ge|lt|le)":', text)


@pytest.mark.parametrize("field", [f for f in FIELDS if isinstance(f, NumberField)], ids=lambda f: f.name)
def test_each_bound_is_enforced_where_it_is_declared(client, field):
    def status(value: float) -> int:
        body = {"surface": "saddle", "optimizers": [{"preset": "sgd", field.name: value}], "steps": 1}
        return client.post("/api/run", json=body).status_code

    assert status(field.default) == 200
    assert status(field.high) == 200
    assert status(field.high * 1.01 + 1e-9) == 422
    assert status(field.low) == (200 if field.low_ok else 422)
    assert status(field.low - 1e-3) == 422


def test_limits_are_served_and_the_schema_states_the_ones_in_force(small):
    limits = small.get("/api/limits").json()
    for name in ("max_starts", "max_steps", "max_configs", "max_grid", "max_basin_grid", "max_point_steps", "max_rest_point_steps"):
        assert limits[name] == getattr(SETTINGS, name), name
    assert limits["max_seed"] == MAX_SEED and limits["formula_max_length"] == MAX_LENGTH and limits["domain_bound"] == MAX_COORDINATE
    assert [p["name"] for p in limits["custom_params"]] == [p.name for p in CUSTOM_PARAMS]
    schema = small.get("/openapi.json").json()
    published: dict[str, list[int]] = {}

    def visit(node):
        if isinstance(node, dict):
            if "x-limit" in node:
                published.setdefault(node["x-limit"], []).append(node.get("maximum", node.get("maxItems")))
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(schema)
    assert set(published) >= {"max_starts", "max_steps", "max_configs", "max_grid", "max_basin_grid"}
    for name, values in published.items():
        assert values and all(v == getattr(SETTINGS, name) for v in values), (name, values)


def test_a_published_limit_is_the_one_enforced(small):
    run = {"surface": "saddle", "optimizers": ["sgd"], "steps": 1}
    sgd = {"preset": "sgd"}
    assert small.post("/api/run", json={**run, "optimizers": [sgd], "steps": SETTINGS.max_steps}).status_code == 200
    assert small.post("/api/run", json={**run, "optimizers": [sgd], "steps": SETTINGS.max_steps + 1}).status_code == 413
    assert small.post("/api/run", json={**run, "optimizers": [sgd] * SETTINGS.max_configs}).status_code == 200
    assert small.post("/api/run", json={**run, "optimizers": [sgd] * (SETTINGS.max_configs + 1)}).status_code == 413
    assert small.get("/api/surfaces/saddle/grid", params={"n": SETTINGS.max_grid}).status_code == 200
    over = small.get("/api/surfaces/saddle/grid", params={"n": SETTINGS.max_grid + 1})
    assert over.status_code == 422 and over.json()["detail"][0]["loc"] == ["query", "n"]
    custom = {"custom": {"formula": "x^2 + y^2"}}
    assert small.post("/api/custom", json={**custom, "n": SETTINGS.max_grid + 1}).json()["detail"][0]["loc"] == ["body", "n"]


# Literals that would be copies of the declaration if the page's code held them: the rule's
# distinctive bounds and defaults, the server's default limits, the seed range.
def _declared_numbers() -> set[float]:
    settings = Settings()
    out = {float(MAX_SEED), float(settings.max_starts), float(settings.max_steps)}
    for f in FIELDS:
        if isinstance(f, NumberField):
            out |= {f.high, f.default, *(f.control or ())}
    # 0, 1, 10, 100, 1000 and 0.01 mean many things in a page (indices, percentages, steps).
    return out - {0.0, 1.0, 10.0, 100.0, 1000.0, 0.01}


# Numbers that happen to equal a declared bound but mean something else in that module.
_MEANS_SOMETHING_ELSE = {
    "stats.js": {0.1, 0.9},  # the 10 % and 90 % quantiles of the band
    "traces.js": {0.9},  # the basin map's opacity
    "labstate.js": {0.1, 0.9},  # the 10 % and 90 % quantiles of the band
    "labcharts.js": {0.999},  # a class's colour band stops short of the next class's
}


@pytest.mark.parametrize("module", sorted(p.name for p in (ROOT / "static" / "js").glob("*.js")))
def test_the_page_does_not_repeat_a_declared_bound_choice_or_preset(module):
    code = (ROOT / "static" / "js" / module).read_text()
    code = re.sub(r"/\*.*?\*/", "", re.sub(r"//[^\n]*", "", code), flags=re.S)
    numbers = {float(m) for m in re.findall(r"(?<![\w.$])(\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w.])", code)}
    numbers -= _MEANS_SOMETHING_ELSE.get(module, set())
    assert not numbers & _declared_numbers(), sorted(numbers & _declared_numbers())
    # Choice and preset names ("none" and "constant" are ordinary words too).
    if module == "schedule.js":
        return  # it mirrors the engine's schedule formulas, which are named by their choice (a test compares the two)
    names = ({c for f in FIELDS if isinstance(f, ChoiceField) for c in f.choices} | set(PRESETS)) - {"none", "constant"}
    quoted = [n for n in sorted(names) if re.search(rf"[\"'`]{n}[\"'`]", code)]
    assert not quoted, quoted


def test_the_check_above_can_fail():
    # The same scan over a line of the page as it was before the declaration was served.
    code = 'export const PRESET_NAMES = ["sgd", "momentum"]; const s = { beta2: { min: 0, max: 0.99999 } };'
    numbers = {float(m) for m in re.findall(r"(?<![\w.$])(\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w.])", code)}
    assert numbers & _declared_numbers() == {0.99999}
