"""emu as a user installs it: the wheel built from this checkout, installed (not editable) into a
fresh venv on the Python running the tests, and run from a folder outside the checkout, so
nothing can be found through the checkout's files. Then the dependency set of the wheel with
every extra must resolve for the other supported Pythons.

Both need the package index pip is configured with (the venv installs emu's dependencies);
`pytest -m "not wheel"` leaves them out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emu.model.oracle import tflm_outputs
from tests import modelgen

ROOT = Path(__file__).resolve().parents[1]
BOARD = "nucleo-l4r5zi"
# What a clone does not carry at its top, or what a build of the checkout leaves behind.
NOT_SOURCES_AT_THE_TOP = {".git", ".venv", "build", "dist", "reports", ".pytest_cache", ".ruff_cache", ".emu-cache"}


def not_sources(folder: str, names: list[str]) -> set[str]:
    top = Path(folder) == ROOT  # only there: a package may have a folder called build
    return {n for n in names if (top and n in NOT_SOURCES_AT_THE_TOP) or n == "__pycache__" or n.endswith(".egg-info")}

pytestmark = pytest.mark.wheel


def run(command: list, cwd: Path, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would put the checkout on the import path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy: setuptools writes build/ and emu.egg-info/ next to the sources it builds.
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=not_sources)
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", work / "dist", source], cwd=work,
                env=clean_env())
    assert built.returncode == 0, built.stdout + built.stderr
    [path] = (work / "dist").glob("emu-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The bin folder of a fresh venv holding the wheel and the dependencies pip resolved for it."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    made = run([sys.executable, "-m", "venv", venv], cwd=venv.parent)
    assert made.returncode == 0, made.stderr
    done = run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], cwd=venv.parent, env=clean_env())
    assert done.returncode == 0, done.stdout + done.stderr
    return venv / "bin"


@pytest.mark.toolchain
@pytest.mark.qemu
def test_the_installed_wheel_builds_and_runs_outside_the_checkout(installed, tiny_model, tmp_path):
    away = tmp_path / "elsewhere"  # not under the checkout: nothing there to find boards or firmware in
    away.mkdir()
    env = clean_env(EMU_CACHE=str(tmp_path / "cache"))

    def emu(*args):
        return run([installed / "emu", *args], cwd=away, env=env)

    where = run([installed / "python", "-c", "import emu; print(emu.__file__)"], cwd=away, env=env)
    assert where.returncode == 0 and Path(where.stdout.strip()).is_relative_to(installed.parent), where

    version = emu("--version")
    assert version.returncode == 0 and "0.1.0" in version.stdout, version

    platforms = emu("platforms", "--json")
    assert platforms.returncode == 0, platforms.stderr
    listed = {board["name"] for board in json.loads(platforms.stdout)}
    assert BOARD in listed and listed == {p.stem for p in (ROOT / "emu" / "boards").glob("*.yaml")}, listed

    model = away / "tiny.tflite"
    shutil.copy(tiny_model, model)
    built = emu("build", model, "-p", BOARD, "--out", away / "fw")
    assert built.returncode == 0, built.stderr
    assert (away / "fw" / "firmware.elf").read_bytes()[:4] == b"\x7fELF"
    operators = [op["op"] for op in json.loads((away / "fw" / "build.json").read_text())["operators"]]
    assert operators == ["FULLY_CONNECTED", "FULLY_CONNECTED"]  # tiny_model's two Dense layers

    x = modelgen.random_input(model.read_bytes(), seed=3)[0]
    np.save(away / "in.npy", x)
    ran = emu("run", model, "-p", BOARD, "--input", away / "in.npy", "--output", away / "out.npy")
    assert ran.returncode == 0, ran.stderr  # exit 0: the device's output equals TFLM's
    np.testing.assert_array_equal(np.load(away / "out.npy"), tflm_outputs(model.read_bytes(), [x])[0])

    # Last, so that a failure here still shows that the commands above work: doctor checks what
    # emu needs, and a missing optional extra (the wheel's dependencies are only the required
    # ones) is no failure.
    doctor = emu("doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr


def index_reachable() -> bool:
    probe = run([sys.executable, "-m", "pip", "index", "versions", "pyyaml"], cwd=ROOT, timeout=300)
    return probe.returncode == 0


@pytest.mark.parametrize("python", ["3.12", "3.13"])
def test_the_dependencies_with_every_extra_resolve_for(python, wheel, tmp_path):
    resolved = run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--only-binary=:all:",
                    "--python-version", python, "--target", tmp_path / "target", "--report", tmp_path / "report.json",
                    f"{wheel}[variants,report,cluster]"], cwd=tmp_path, env=clean_env())
    if resolved.returncode and not index_reachable():
        pytest.skip("the package index is unreachable, so nothing can be resolved")
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    names = {re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower() for item in report["install"]}  # PEP 503
    assert {"emu", "numpy", "tflite-micro", "tensorflow-cpu", "plotly", "distributed"} <= names
