"""The package as a user installs it: one top-level import package, a source distribution that
carries its tests, and a non-editable install that serves the page from a folder whose own
``surfaces.py`` and ``server.py`` would shadow bare imports; a ``--user`` install finds the page
files too."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import errorscape
from tests.server_process import ROOT, free_port, get_json

DECOY = 'raise SystemExit("a decoy module was imported instead of errorscape\'s own")\n'


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "-o", str(out), str(ROOT)], check=True, capture_output=True)
    return out


def wheel_of(dist: Path) -> Path:
    (wheel,) = dist.glob("errorscape-*.whl")
    return wheel


def site_packages(venv: Path) -> Path:
    (path,) = (venv / "lib").glob("python3*/site-packages")
    return path


def fresh_venv(tmp: Path, name: str, *flags: str) -> Path:
    """A new venv whose only errorscape is what gets installed into it; the dependencies come
    from this test run's environment (a path entry, not its .pth files: no editable finder)."""
    venv = tmp / name
    subprocess.run([sys.executable, "-m", "venv", *flags, str(venv)], check=True)
    deps = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site_packages(venv) / "zz_errorscape_test_deps.pth").write_text(deps + "\n")
    return venv


def decoy_folder(tmp: Path) -> Path:
    folder = tmp / "notebook"
    folder.mkdir()
    for name in ("surfaces.py", "server.py"):
        (folder / name).write_text(DECOY)
    return folder


def test_the_wheel_holds_one_import_package_with_its_page(dist):
    names = zipfile.ZipFile(wheel_of(dist)).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"errorscape", f"errorscape-{errorscape.__version__}.dist-info"}
    for path in ("errorscape/static/index.html", "errorscape/static/js/main.js", "errorscape/static/css/app.css"):
        assert path in names
    for path in (
        "errorscape/surfaces/engine.py",
        "errorscape/surfaces/kernels.py",
        "errorscape/nets/train.py",
        "errorscape/server/app.py",
        "errorscape/__main__.py",
    ):
        assert path in names
    assert not any(n.startswith("errorscape/") and "/tests/" in n for n in names)


def test_the_sdist_carries_its_tests_docs_and_license_and_builds_the_same_wheel(dist, tmp_path):
    (sdist,) = dist.glob("errorscape-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        tar.extractall(tmp_path, filter="data")
    for path in ("LICENSE", "docs/API.md", "tests/test_package.py", "tests/conftest.py", "pyproject.toml", "surfaces/engine.py"):
        assert path in names, path
    metadata = zipfile.ZipFile(wheel_of(dist)).read(f"errorscape-{errorscape.__version__}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata
    (unpacked,) = tmp_path.glob("errorscape-*")
    again = tmp_path / "again"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "-o", str(again), str(unpacked)], check=True, capture_output=True)
    assert sorted(zipfile.ZipFile(wheel_of(again)).namelist()) == sorted(zipfile.ZipFile(wheel_of(dist)).namelist())


def serve_and_load(python: Path, cwd: Path, env: dict[str, str]) -> None:
    port = free_port()
    env = {**env, "ERRORSCAPE_WARMUP": "false", "ERRORSCAPE_COMPILE_CACHE_DIR": str(cwd / "cache")}
    proc = subprocess.Popen([str(python), "-m", "errorscape", "serve", "--port", str(port)], cwd=cwd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                health = get_json(base + "/api/health")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the installed package did not serve"
                time.sleep(0.3)
        assert health["version"] == errorscape.__version__
        for path, needle in (("/", b"<html"), ("/js/main.js", b"import"), ("/vendor/plotly.min.js", b"plotly")):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200 and needle in response.read(), path
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_plain_install_serves_the_page_beside_decoy_modules(dist, tmp_path):
    venv = fresh_venv(tmp_path, "venv")
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel_of(dist))], check=True)
    folder = decoy_folder(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    script = (
        "import errorscape.server.app, sys; print(errorscape.__file__); "
        "print(sorted(m for m in sys.modules if m in ('surfaces', 'server')))"
    )
    where = subprocess.run(
        [str(python), "-c", script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert where[0].startswith(str(site_packages(venv))) and where[1] == "[]"
    version = subprocess.run(
        [str(venv / "bin" / "errorscape"), "--version"], cwd=folder, env=env, capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"errorscape {errorscape.__version__}"
    serve_and_load(python, folder, env)


def test_a_user_install_finds_its_page_files(dist, tmp_path):
    # A venv that sees the user site, as a system Python does; PYTHONUSERBASE puts that site here.
    venv = fresh_venv(tmp_path, "venv", "--system-site-packages")
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONUSERBASE"] = str(tmp_path / "userbase")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--user", "--no-deps", "--no-index", str(wheel_of(dist))], check=True, env=env
    )
    folder = decoy_folder(tmp_path)
    found = subprocess.run(
        [str(python), "-c", "from errorscape.server.static_files import static_dir; print(static_dir())"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert found.startswith(str(tmp_path / "userbase")) and (Path(found) / "index.html").is_file()
    serve_and_load(python, folder, env)
