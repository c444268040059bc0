"""`emu demo`: the digits task in every default variant on boards with and without an FPU,
a recommendation under the limits it states, and the report; a second run reads the cache."""

import json
import subprocess
import sys

from emu.orchestrate.demo import DEFAULT_BOARDS, demo_scenario
from emu.platforms import get_platform
from emu.results.record import load_results
from tests.conftest import needs_arm_gcc

EMU = "from emu.cli.app import main\nmain()\n"
# The default variants that run on the device (dynamic-int8 is a hybrid model: made, scored, skipped).
ON_DEVICE = {"fp32", "fp16", "int8", "int16x8", "qat-int8", "pruned50-int8", "pruned80-int8", "clustered16-int8",
             "distilled-int8"}


def emu(*args, cwd):
    return subprocess.run([sys.executable, "-c", EMU, *args], cwd=cwd, capture_output=True, text=True, timeout=900,
                          check=False)


def test_default_boards_span_cores_with_and_without_fpu_and_dsp():
    cores = {get_platform(b).core: get_platform(b).fpu for b in DEFAULT_BOARDS}
    assert cores == {"cortex-m0plus": False, "cortex-m3": False, "cortex-m4": True, "cortex-m7": True}
    # one DSP part with both kernel sets: its default (optimized) and pinned to the reference kernels
    m4 = [get_platform(b) for b in DEFAULT_BOARDS if get_platform(b).core == "cortex-m4"]
    assert [(p.dsp, p.kernels) for p in m4] == [(True, None), (True, "reference")]
    limits = demo_scenario().constraints
    assert limits.min_accuracy == 0.9 and limits.metric == "accuracy"


def test_an_unknown_board_stops_before_training(tmp_path):
    run = emu("demo", "-p", "no-such-board", "--out", str(tmp_path / "d"), cwd=tmp_path)
    assert run.returncode == 2 and "no-such-board" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and not (tmp_path / "d").exists()


@needs_arm_gcc
def test_demo_recommends_under_its_stated_limits_and_reruns_from_the_cache(tmp_path):
    boards = ["rp2040-pico", "nucleo-l4r5zi", "nucleo-l4r5zi:reference"]
    args = ["demo", *(x for b in boards for x in ("-p", b)), "--out", "demo"]
    run = emu(*args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    out = tmp_path / "demo"
    assert "Constraints: accuracy at least 90.0%; latency at most 20 ms; RAM at most 32 KB; flash at most 128 KB." \
        in run.stdout
    rows = load_results(out / "results.json")
    results = [r for r in rows if r.measured]
    assert {r.variant for r in results} == ON_DEVICE and {r.platform for r in results} == set(boards)
    assert len(results) == len(ON_DEVICE) * len(boards)
    # the hybrid variant the device cannot run is a row on every board, with the reason variants.json gives
    hybrid = [r for r in rows if not r.measured]
    assert [(r.variant, r.platform, r.status) for r in hybrid] == [("dynamic-int8", b, "not runnable") for b in boards]
    assert f"rejected digits/dynamic-int8: not runnable: {hybrid[0].reason}" in run.stdout
    kernels = {r.platform: r.kernels for r in results}
    assert kernels == {"rp2040-pico": "reference", "nucleo-l4r5zi": "optimized", "nucleo-l4r5zi:reference": "reference"}
    # the same int8 model runs fewer instructions with the optimized kernels
    int8 = {r.platform: r.instructions for r in results if r.variant == "int8"}
    assert int8["nucleo-l4r5zi"] < int8["nucleo-l4r5zi:reference"]
    assert "skipped digits (dynamic-int8)" in run.stdout

    # The decision, worked out here from the measured rows and the host accuracies.
    accuracy = {v["variant"]: v["value"] for v in json.loads((out / "models" / "digits" / "variants.json")
                                                               .read_text())["variants"]}
    fits = [r for r in results if accuracy[r.variant] >= 0.9 and r.latency_ms <= 20 and r.ram_bytes <= 32 * 1024
            and r.flash_bytes <= 128 * 1024 and r.output_matches_reference]
    best = min(fits, key=lambda r: r.energy_uj)
    headline = f"Ship digits/{best.variant} on {best.platform}:"
    # chosen on energy: a board whose power figures are assumed is named first (the board files say which)
    assert {r.energy_basis for r in results if r.platform.startswith("nucleo-l4r5zi")} == {"sourced"}
    assert {r.energy_basis for r in results if r.platform == "rp2040-pico"} == {"assumed"}
    on_pico = any(line.startswith("rp2040-pico: choose") for line in run.stdout.splitlines())
    assert ("Decided on assumed energy figures: the power figures of rp2040-pico" in run.stdout) == on_pico
    assert headline in run.stdout
    page = (out / "index.html").read_text()
    assert headline in page and f"report: {(out / 'index.html').resolve()}" in run.stdout

    again = emu(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"{len(results)} results read from the cache, 0 measured" in again.stdout
    assert headline in again.stdout
