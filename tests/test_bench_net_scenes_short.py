"""The short version of bench/net_scenes.py: one network scene, every question the page asks
about it timed twice, the second time compiling nothing."""

from __future__ import annotations

import re

from bench import net_scenes


def test_the_bench_times_every_part_of_a_scene(capsys):
    assert net_scenes.main(["net-batch-norm/plain"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("net-batch-norm/plain: first"))
    found = re.findall(r"(\w+) ([\d.]+)/([\d.]+) s \((\d+) compiled, (\d+) loaded\)", line)
    assert [name for name, *_ in found] == ["train", "field", "plane", "line", "hessian"]
    assert all(float(first) >= 0 and float(again) >= 0 for _, first, again, *_ in found)


def test_a_second_visit_of_the_same_shapes_compiles_nothing():
    from errorscape.server.net_lessons import NET_LESSONS, lab_spec

    scene = next(s for lesson in NET_LESSONS for s in lesson["scenes"] if s["id"] == "plain")
    spec = lab_spec(scene["lab"])
    net_scenes.visit(spec, scene)
    again = net_scenes.visit(spec.model_copy(update={"seed": spec.seed + 7}), scene)
    assert all(compiled == 0 for _, compiled, _ in again.values()), again
