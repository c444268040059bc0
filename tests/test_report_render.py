"""The HTML report: self-contained, and it renders in a real browser (Debian's chromium,
headless) without script errors and with every figure on screen."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from emu.platforms import get_platform
from emu.results.measure import measure
from emu.results.record import write_json
from tests.conftest import needs_arm_gcc

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EMU = "from emu.cli.app import main\nmain()\n"


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory):
    from tests import modelgen

    tf = modelgen.tf()
    model = modelgen.keras_model([tf.keras.layers.Dense(12, activation="relu"), tf.keras.layers.Dense(3),
                                  tf.keras.layers.Softmax()], (6,), seed=5)
    folder = tmp_path_factory.mktemp("report")
    blobs = {"fp32": modelgen.to_float(model), "int8": modelgen.to_int8(model, (6,))}
    results = []
    for variant, blob in blobs.items():
        path = folder / f"tiny_{variant}.tflite"
        path.write_bytes(blob)
        for board in ("rp2040-pico", "nucleo-l4r5zi"):
            results.append(measure(path, get_platform(board), variant=variant)[0])
    write_json(results, folder / "results.json")
    # Host accuracy as `emu variants` writes it (numbers made up for the page, not checked here).
    variants = {"task": {"model": "tiny", "kind": "classifier", "metric": "accuracy"}, "variants": [
        {"model": "tiny_fp32", "variant": "fp32", "metric": "accuracy", "value": 0.92,
         "confusion_matrix": [[30, 2, 1], [1, 28, 3], [0, 1, 34]]},
        {"model": "tiny_int8", "variant": "int8", "metric": "accuracy", "value": 0.9,
         "confusion_matrix": [[29, 3, 1], [2, 27, 3], [0, 1, 34]]}]}
    (folder / "variants.json").write_text(json.dumps(variants))
    run = subprocess.run([sys.executable, "-c", EMU, "report", "results.json", "--variants", "variants.json",
                          "--min-accuracy", "85%", "--max-latency-ms", "5", "--title", "Tiny model report",
                          "--out", "out"], cwd=folder, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return folder / "out"


@needs_arm_gcc
def test_report_is_self_contained_and_states_the_decision(report_folder):
    page = (report_folder / "index.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page must not load anything"
    assert "@import" not in page and "url(http" not in page
    assert "<strong>Decision.</strong> Ship" in page
    assert page.count("<svg") >= 4  # trade-offs, boards, confusion matrices, layers
    assert "class='chosen'" in page
    markdown = (report_folder / "report.md").read_text()
    assert markdown.startswith("# Tiny model report") and "**Decision:** Ship" in markdown
    assert "| board | model/variant |" in markdown


@needs_arm_gcc
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make setup installs it)")
def test_report_renders_in_headless_chromium(report_folder, tmp_path):
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=1300,2000", "--virtual-time-budget=5000", "--dump-dom",
         (report_folder / "index.html").resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", run.stdout)
    assert body, run.stdout[:500]
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))
    assert "errors" not in attributes, attributes.get("errors")
    assert int(attributes["figures"]) >= 4
    assert attributes["figures-shown"] == attributes["figures"], attributes
