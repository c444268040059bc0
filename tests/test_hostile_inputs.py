"""Models, inputs and paths from anyone: each known way they broke emu, and what it does now
(a clean one-line error with exit 2, or the right result)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from emu.errors import EmuError, shown
from emu.link.bsp import STACK_RESERVE
from emu.link.firmware import build_firmware
from emu.model.reader import read_model_bytes
from emu.platforms import get_platform
from emu.results.outputs import outputs_match
from tests import model_edits as edits
from tests.conftest import needs_arm_gcc
from tests.test_build import hand_model
from tests.test_fuzz_models import BOARD, emu_in_process, outcome

ROOT = Path(__file__).resolve().parents[1]


def emu_subprocess(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "emu", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})}, check=False)


def one_line(result_code: int, stderr: str) -> str:
    assert outcome(result_code, stderr) == "rejected", stderr
    return stderr.strip()


# --- the reference interpreter in its own process

def test_an_interpreter_crash_is_a_one_line_error_not_a_dead_emu(dense_models, tmp_path):
    # Buffer 100 of a 13-buffer model: TFLM reads far past its buffer table and dies of SIGSEGV.
    bad = edits.edited(dense_models["int8"], lambda m, g: setattr(g.tensors[4], "buffer", 100))
    (tmp_path / "bad.tflite").write_bytes(bad)
    script = textwrap.dedent("""
        import sys, numpy as np
        from emu.model.oracle import tflm_outputs
        try:
            tflm_outputs(open(sys.argv[1], "rb").read(), [np.array([[3]], np.int8)])
        except Exception as e:
            print(type(e).__name__, e)
    """)
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "bad.tflite")], capture_output=True,
                         text=True, timeout=120, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ReferenceCrashed the reference interpreter crashed on this model (signal 11)"


@needs_arm_gcc
def test_emu_run_of_a_buffer_index_past_the_end_is_rejected_before_building(dense_models, tmp_path):
    bad = edits.edited(dense_models["int8"], lambda m, g: setattr(g.tensors[4], "buffer", 100))
    (tmp_path / "bad.tflite").write_bytes(bad)
    np.save(tmp_path / "x.npy", np.array([[3]], np.int8))
    run = emu_subprocess("run", tmp_path / "bad.tflite", "-p", BOARD, "-i", tmp_path / "x.npy",
                         "-o", tmp_path / "y.npy")
    line = one_line(run.returncode, run.stderr)
    assert "tensor 4 (" in line and "refers to buffer 100, but the model has 13 buffers" in line
    assert not (tmp_path / "y.npy").exists()


def test_reference_outputs_are_unchanged_by_the_worker_process(dense_models):
    from tflite_micro.python.tflite_micro import runtime

    from emu.model.oracle import invoker

    model = dense_models["int8"]
    direct = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
    invoke = invoker(model, "tflm")
    for value in range(-128, 128, 17):  # one worker for all of them
        direct.set_input(np.array([[value]], np.int8), 0)
        direct.invoke()
        assert np.array_equal(invoke([np.array([[value]], np.int8)])[0], direct.get_output(0))


def test_an_interpreter_refusal_is_still_a_value_error(dense_models):
    from emu.model.oracle import tflm_outputs

    with pytest.raises(ValueError, match="expected type INT8"):
        tflm_outputs(dense_models["int8"], [np.zeros((1, 1), np.float32)])


# --- NaN and infinity

def test_nan_in_the_same_place_on_both_sides_is_equal():
    nan = np.array([1.0, math.nan, -math.inf], np.float32)
    assert outputs_match([nan.copy()], [nan.copy()])
    assert not outputs_match([np.array([1.0, 2.0, -math.inf], np.float32)], [nan])
    assert not outputs_match([nan], [np.array([1.0, 2.0, -math.inf], np.float32)])
    assert not outputs_match([np.array([1.0, math.nan, math.inf], np.float32)], [nan])


@needs_arm_gcc
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_weight_builds_and_matches_tflm(value, dense_models, tmp_path):
    from emu.model.oracle import tflm_outputs

    model = edits.with_float_constant(dense_models["float"], 2, 0, value)  # the last layer's bias
    (tmp_path / "m.tflite").write_bytes(model)
    x = np.array([[0.5]], np.float32)
    np.save(tmp_path / "x.npy", x)
    code, _, stderr = emu_in_process("run", str(tmp_path / "m.tflite"), "-p", BOARD, "-i", str(tmp_path / "x.npy"),
                                     "-o", str(tmp_path / "y.npy"))
    assert code == 0, stderr
    got = np.load(tmp_path / "y.npy")
    want = tflm_outputs(model, [x])[0]
    assert np.array_equal(got, want, equal_nan=True)
    # NaN passes through; an infinite bias meets the layer's clamp to +-FLT_MAX on both sides.
    assert np.isnan(got).all() if math.isnan(value) else abs(got[0, 0]) == np.finfo(np.float32).max


# --- .npy inputs

@needs_arm_gcc
@pytest.mark.parametrize("content, words", [
    (b"", "is not a .npy file"),
    (b"\x93NUMPY\x01\x00", "is not a .npy file"),
    ("float32", "holds float32, the model expects int8 of shape [1, 1]"),
    ("shape", "has shape [2, 3], the model expects [1, 1] (int8)"),
    ("truncated", "holds 0 bytes of data, its header says 1"),
    ("object", "holds object, the model expects int8"),
])
def test_a_bad_input_file_is_one_line_naming_the_expected_form(content, words, dense_models, tmp_path):
    (tmp_path / "m.tflite").write_bytes(dense_models["int8"])
    x = tmp_path / "x.npy"
    if isinstance(content, bytes):
        x.write_bytes(content)
    elif content == "float32":
        np.save(x, np.zeros((1, 1), np.float32))
    elif content == "shape":
        np.save(x, np.zeros((2, 3), np.int8))
    elif content == "truncated":
        np.save(x, np.zeros((1, 1), np.int8))
        x.write_bytes(x.read_bytes()[:-1])
    else:
        np.save(x, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    code, _, stderr = emu_in_process("run", str(tmp_path / "m.tflite"), "-p", BOARD, "-i", str(x),
                                     "-o", str(tmp_path / "y.npy"))
    assert words in one_line(code, stderr)
    assert not (tmp_path / "y.npy").exists()


@needs_arm_gcc
def test_the_output_goes_to_exactly_the_path_given(dense_models, tmp_path):
    (tmp_path / "m.tflite").write_bytes(dense_models["int8"])
    np.save(tmp_path / "x.npy", np.array([[3]], np.int8))
    code, stdout, stderr = emu_in_process("run", str(tmp_path / "m.tflite"), "-p", BOARD,
                                          "-i", str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.out"))
    assert code == 0, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "x.npy", "y.out"]
    assert stdout.startswith(f"{tmp_path / 'y.out'}: int8 [1, 1]")
    from emu.model.oracle import tflm_outputs

    want = tflm_outputs(dense_models["int8"], [np.array([[3]], np.int8)])[0]
    assert np.array_equal(np.load(tmp_path / "y.out"), want)


# --- what a model path may be

def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "model.tflite"
    os.mkfifo(fifo)
    run = emu_subprocess("build", fifo, "-p", BOARD, "--out", tmp_path / "o", timeout=60)
    assert "is not a regular file" in one_line(run.returncode, run.stderr)


def test_a_link_to_dev_zero_is_refused(tmp_path):
    (tmp_path / "model.tflite").symlink_to("/dev/zero")
    run = emu_subprocess("build", tmp_path / "model.tflite", "-p", BOARD, "--out", tmp_path / "o", timeout=60)
    assert "is not a regular file" in one_line(run.returncode, run.stderr)


def test_model_size_limit_and_its_override(dense_models, tmp_path, monkeypatch):
    path = tmp_path / "m.tflite"
    path.write_bytes(dense_models["int8"])
    monkeypatch.setenv("EMU_MAX_MODEL_BYTES", "1000")
    with pytest.raises(EmuError, match=f"has {len(dense_models['int8']):,} bytes, more than the limit of 1,000"):
        read_model_bytes(path)
    monkeypatch.setenv("EMU_MAX_MODEL_BYTES", str(len(dense_models["int8"])))
    assert read_model_bytes(path) == dense_models["int8"]
    monkeypatch.setenv("EMU_MAX_MODEL_BYTES", "lots")
    with pytest.raises(EmuError, match="EMU_MAX_MODEL_BYTES must be a positive number"):
        read_model_bytes(path)
    monkeypatch.delenv("EMU_MAX_MODEL_BYTES")
    big = tmp_path / "big.tflite"
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024 + 1)  # sparse: one byte over the default limit
    with pytest.raises(EmuError, match="more than the limit of 67,108,864"):
        read_model_bytes(big)


def test_a_rejected_model_with_a_non_utf8_name_is_one_clean_line(tmp_path):
    path = Path(f"{tmp_path}/bad\udce9\udcff.tflite")
    path.write_bytes(b"\x18\x00\x00\x00TFL3" + b"\xff" * 40)
    code, _, stderr = emu_in_process("build", str(path), "-p", BOARD, "--out", str(tmp_path / "o"))
    line = one_line(code, stderr)
    assert "bad\\udce9\\udcff" in line


# --- sizes against the board

@needs_arm_gcc
def test_a_5_gb_arena_does_not_fit_before_gcc_runs(tmp_path):
    board = get_platform(BOARD)
    huge = hand_model()
    huge.arena_bytes = 5 * 1024**3
    huge.source = huge.source.replace("emu_arena[16]", f"emu_arena[{huge.arena_bytes}]")
    with pytest.raises(EmuError) as e:
        build_firmware(huge, board)
    assert str(e.value) == (f"plus_one does not fit {BOARD}: needs {5 * 1024**3 + STACK_RESERVE:,} bytes of RAM "
                            f"(tensor arena 5,368,709,120 B + stack {STACK_RESERVE:,} B), board has "
                            f"{board.ram_bytes:,}")


# --- bench past a failure

@needs_arm_gcc
def test_bench_measures_the_rest_when_one_model_is_unsupported(dense_models, tmp_path):
    """A model the compiler cannot run is a row "not runnable" with its reason, beside the
    measured one; the bench answered every pair, so it exits 0."""
    good, bad = tmp_path / "good.tflite", tmp_path / "custom.tflite"
    good.write_bytes(dense_models["int8"])
    bad.write_bytes(edits.edited(dense_models["int8"], lambda m, g: _make_custom(m, g, b"MyOp\x1b[31m")))
    out = tmp_path / "r.json"
    code, stdout, stderr = emu_in_process("bench", str(bad), str(good), "-p", BOARD, "--json", str(out))
    assert code == 0, stderr
    rows = json.loads(out.read_text())
    assert [(r["model"], r["status"], r["output_matches_reference"]) for r in rows] == [
        ("custom", "not runnable", None), ("good", "measured", True)]
    assert rows[0]["reason"] == "unsupported operator CUSTOM:MyOp\\x1b[31m at index 0 in custom"
    assert (f"custom (model) on {BOARD}: not runnable: unsupported operator CUSTOM:MyOp\\x1b[31m at index 0 "
            "in custom") in stdout.splitlines()
    assert "good" in stdout


def _make_custom(m, g, name: bytes):
    code = m.operatorCodes[g.operators[0].opcodeIndex]
    code.builtinCode = code.deprecatedBuiltinCode = edits.schema.BuiltinOperator.CUSTOM
    code.customCode = name


# --- the escaping helper

def test_shown_escapes_controls_and_cuts_long_strings():
    assert shown("a\nb\x1b[31m\x00") == "a\\nb\\x1b[31m\\x00"
    assert shown("caf\udce9") == "caf\\udce9"
    assert shown("café") == "café"
    long = shown("x" * 100_000)
    assert len(long) == 80 and long.endswith("...")
