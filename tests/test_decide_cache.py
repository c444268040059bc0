"""The results cache: a second run reads its answers back, a change to what a result
depends on misses, and concurrent runs sharing the cache never corrupt it."""

import json
import multiprocessing
import os
import shutil
import subprocess
import sys

import pytest
import yaml

import emu.link.firmware
from emu.cache import ContentStore
from emu.orchestrate import run_scenario
from emu.results.cached_measure import ResultsCache, sources_digest
from tests.conftest import needs_arm_gcc


@pytest.fixture(scope="module")
def small_models(tmp_path_factory):
    from tests import modelgen

    tf = modelgen.tf()
    model = modelgen.keras_model([tf.keras.layers.Dense(12, activation="relu"), tf.keras.layers.Dense(3)], (6,), seed=3)
    folder = tmp_path_factory.mktemp("cache-models")
    (folder / "tiny_int8.tflite").write_bytes(modelgen.to_int8(model, (6,)))
    (folder / "tiny_fp32.tflite").write_bytes(modelgen.to_float(model))
    return folder


def write_scenario(folder, models):
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump({
        "name": "tiny", "boards": ["rp2040-pico", "nucleo-l4r5zi"],
        "models": [{"path": str(models / f"tiny_{v}.tflite"), "variant": v} for v in ("int8", "fp32")]}))
    return path


@needs_arm_gcc
def test_second_run_is_served_from_the_cache(small_models, tmp_path, monkeypatch):
    monkeypatch.setenv("EMU_CACHE", str(tmp_path / "cache"))
    scenario = write_scenario(tmp_path, small_models)
    first = run_scenario(scenario, out=tmp_path / "a", cache=ResultsCache(), write_report=False)
    second = run_scenario(scenario, out=tmp_path / "b", cache=ResultsCache(), write_report=False)
    assert (first.cache_hits, first.cache_misses) == (0, 4)
    assert (second.cache_hits, second.cache_misses) == (4, 0)
    assert [r.to_dict() for r in first.results] == [r.to_dict() for r in second.results]
    # A measured number for the record, not a pass/fail condition (machines are shared and noisy).
    print(f"\nresults cache: first run {first.seconds:.2f} s, second {second.seconds:.3f} s, "
          f"{first.seconds / second.seconds:.0f}x faster")


def test_a_firmware_change_changes_the_key(tmp_path, monkeypatch):
    before = sources_digest()
    copy = tmp_path / "firmware"
    shutil.copytree(emu.link.firmware.FIRMWARE, copy)
    monkeypatch.setattr(emu.link.firmware, "FIRMWARE", copy)
    assert sources_digest() == before
    (copy / "runtime" / "markers.c").write_text((copy / "runtime" / "markers.c").read_text() + "\n/* changed */\n")
    assert sources_digest() != before


def hammer(root, worker, rounds):
    """Writes and reads the same few keys as the other workers; any torn value is reported."""
    store = ContentStore(root)
    for i in range(rounds):
        key = f"{i % 5:064x}"
        value = {"key": key, "payload": [i % 5] * 20000}
        store.put(key, value)
        seen = store.get(f"{(i + worker) % 5:064x}")
        if seen is not None and seen["payload"] != [int(seen["key"], 16)] * 20000:
            return f"worker {worker} read a corrupt value"
    return "ok"


def test_concurrent_writers_never_leave_a_torn_value(tmp_path):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        outcomes = pool.starmap(hammer, [(tmp_path, w, 60) for w in range(4)])
    assert outcomes == ["ok"] * 4
    store = ContentStore(tmp_path)
    for i in range(5):
        assert store.get(f"{i:064x}")["payload"] == [i] * 20000
    assert not list(tmp_path.rglob("*.tmp")), "temporary files left behind"


@needs_arm_gcc
def test_concurrent_scenario_runs_share_a_cold_cache(small_models, tmp_path):
    scenario = write_scenario(tmp_path, small_models)
    env = {**os.environ, "EMU_CACHE": str(tmp_path / "shared-cache")}
    code = "import sys; from emu.orchestrate import run_scenario; run_scenario(sys.argv[1], out=sys.argv[2])"
    runs = [subprocess.Popen([sys.executable, "-c", code, str(scenario), str(tmp_path / f"run{i}")], env=env,
                             stderr=subprocess.PIPE, text=True) for i in range(2)]
    for run in runs:
        assert run.wait(timeout=600) == 0, run.stderr.read()
    first, second = (json.loads((tmp_path / f"run{i}" / "results.json").read_text()) for i in range(2))
    assert first == second
    again = subprocess.run([sys.executable, "-c", code + "; print('ok')", str(scenario), str(tmp_path / "run3")],
                           env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and json.loads((tmp_path / "run3" / "results.json").read_text()) == first


@needs_arm_gcc
def test_soft_float_board_is_not_served_the_hard_float_result(small_models, tmp_path, monkeypatch):
    # The two share one board file; a key over the file's text served the FPU result for both.
    from emu.platforms import get_platform
    from emu.results.measure import measure

    monkeypatch.setenv("EMU_CACHE", str(tmp_path / "cache"))
    model = small_models / "tiny_fp32.tflite"
    cache = ResultsCache()
    hard, _ = cache.measure(model, get_platform("nucleo-l4r5zi"), variant="fp32")
    soft, _ = cache.measure(model, get_platform("nucleo-l4r5zi:soft-float"), variant="fp32")
    assert cache.misses == 2
    assert (soft.platform, soft.fpu) == ("nucleo-l4r5zi:soft-float", False)
    uncached, _ = measure(model, get_platform("nucleo-l4r5zi:soft-float"), variant="fp32")
    assert soft.to_dict() == uncached.to_dict()
    # soft-float arithmetic runs as library calls: many more instructions than the FPU's
    assert soft.instructions > 2 * hard.instructions


@needs_arm_gcc
def test_soft_float_build_is_not_the_hard_float_build(small_models, tmp_path):
    from elftools.elf.elffile import ELFFile

    from emu.compile.codegen import compile_graph
    from emu.model.reader import read_model
    from emu.platforms import get_platform

    compiled = compile_graph(read_model(small_models / "tiny_fp32.tflite"))
    hard = emu.link.firmware.build_firmware(compiled, get_platform("nucleo-l4r5zi"))
    soft = emu.link.firmware.build_firmware(compiled, get_platform("nucleo-l4r5zi:soft-float"))
    assert hard.elf != soft.elf
    with soft.elf.open("rb") as f:
        names = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
    assert "__aeabi_fadd" in names or "__addsf3" in names


@needs_arm_gcc
def test_a_sweep_and_a_single_measurement_read_each_others_answers(small_models, tmp_path, monkeypatch):
    from emu.platforms import get_platform
    from emu.results.sweep import jobs_for, sweep

    monkeypatch.setenv("EMU_CACHE", str(tmp_path / "cache"))
    board = get_platform("rp2040-pico")
    single = ResultsCache()
    measured, _ = single.measure(small_models / "tiny_fp32.tflite", board, variant="fp32")
    jobs = jobs_for([(small_models / "tiny_fp32.tflite", "fp32"), (small_models / "tiny_int8.tflite", "int8")], [board])
    swept = sweep(jobs, workers=1, cache=ResultsCache(), progress=lambda m: None)
    assert (swept.reused, swept.measured) == (1, 1)
    assert swept.results[0].to_dict() == measured.to_dict()
    again = ResultsCache()
    read_back, _ = again.measure(small_models / "tiny_int8.tflite", board, variant="int8")
    assert (again.hits, again.misses) == (1, 0)
    assert read_back.to_dict() == swept.results[1].to_dict()


def test_an_entry_this_version_cannot_read_is_measured_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMU_CACHE", str(tmp_path / "cache"))
    cache = ResultsCache()
    key = "cd" * 32
    cache.store.put(key, {"result": {"model": "old"}, "outputs": []})  # intact, but lacks a result's fields
    path = cache.store.path_for(key)
    assert path.is_file()
    assert cache.lookup(key) is None
    assert (cache.hits, cache.misses) == (0, 1)
    assert not path.exists() and "cannot be read" in capsys.readouterr().err
