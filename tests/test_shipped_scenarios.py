"""Every scenario shipped in scenarios/ runs green end to end through `emu scenario run`, as a
user would run it: models trained, measured on every board, constraints checked and, for the
gate, compared with its committed baseline, so a stale baseline fails here."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

# Each scenario trains its task's model (TensorFlow), builds firmware and runs it in QEMU.
pytestmark = [pytest.mark.toolchain, pytest.mark.qemu, pytest.mark.tensorflow]


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_shipped_scenario_runs_green(path, tmp_path):
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "emu", "scenario", "run", str(path), "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr

    spec = yaml.safe_load(path.read_text())
    results = json.loads((out / "results.json").read_text())
    expected = {(variant, board) for model in spec["models"] for variant in model["variants"]
                for board in spec["boards"]}
    assert {(r["variant"], r["platform"]) for r in results} == expected
    assert all(r["output_matches_reference"] for r in results)
    if "gate" in spec:
        # The gate compared every measured row with the committed baseline, and each check passed.
        baseline = json.loads((path.parent / spec["gate"]["baseline"]).read_text())["results"]
        assert {(r["variant"], r["platform"]) for r in baseline} == expected
        gate = ET.parse(out / spec["gate"]["junit"]).getroot().find("testsuite[@name='emu gate']")
        # cycles, RAM, flash and accuracy, per row
        assert (gate.get("tests"), gate.get("failures")) == (str(4 * len(expected)), "0")
