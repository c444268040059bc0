"""A corpus of broken and hostile models, each through `emu build` (and some through `emu run`).

The corpus is made here from small valid models (the hello_world network, three dense
layers, converted to int8 and float32 by tests/modelgen.py; and the real hello_world model
from ../shared/models when it is there): a cut at every
structure boundary of the flatbuffer and at a few arbitrary offsets, bit flips at seeded
positions, and one field edit of every kind the validation names (tests/model_edits.py).
Every case must end in exit 0, or exit 2 with one line on stderr starting "emu: " and
naming no internal error: never a traceback, a signal, a hang or a half-written output.
The CLI runs in this process (the reference interpreters have a process of their own).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests import in_process
from tests import model_edits as edits
from tests.conftest import SHARED_MODELS, needs_arm_gcc

pytestmark = needs_arm_gcc

BOARD = "nucleo-l4r5zi"
CASE_SECONDS = 120


def emu_in_process(*args: str) -> tuple[int, str, str]:
    return in_process.emu_in_process(*args, seconds=CASE_SECONDS)


def outcome(code: int, stderr: str) -> str:
    """'ok', 'rejected' (exit 2, one clean line), or what went wrong."""
    lines = stderr.strip().splitlines()
    if code == 0:
        return "ok"
    if code == 2 and len(lines) == 1 and lines[0].startswith("emu: ") and "internal error" not in lines[0] \
            and "Traceback" not in stderr:
        return "rejected"
    return f"bad exit {code}: {stderr.strip()[:500]!r}"


def _shape(m, g, tensor, shape):
    g.tensors[tensor].shape = np.array(shape, np.int32)


def _quant(g, tensor, **fields):
    q = g.tensors[tensor].quantization
    for k, v in fields.items():
        setattr(q, k, v)


def _custom(m, g, name: bytes):
    code = m.operatorCodes[g.operators[0].opcodeIndex]
    code.builtinCode = code.deprecatedBuiltinCode = edits.schema.BuiltinOperator.CUSTOM
    code.customCode = name


# The int8 model: tensor 0 input, 9 output, 7 and 8 activations, 1-6 constants; operators
# 0-2 FULLY_CONNECTED with inputs (activation, weights, bias).
INT8_EDITS = {
    "buffer-index-past-end": lambda m, g: setattr(g.tensors[4], "buffer", len(m.buffers) + 3),
    "op-input-out-of-range": lambda m, g: g.operators[0].inputs.__setitem__(1, len(g.tensors) + 5),
    "op-input-negative": lambda m, g: g.operators[0].inputs.__setitem__(0, -2),
    "op-output-out-of-range": lambda m, g: g.operators[2].outputs.__setitem__(0, 99),
    "op-output-minus-one": lambda m, g: g.operators[2].outputs.__setitem__(0, -1),
    "op-no-inputs": lambda m, g: setattr(g.operators[1], "inputs", np.array([], np.int32)),
    "op-no-outputs": lambda m, g: setattr(g.operators[1], "outputs", np.array([], np.int32)),
    "op-writes-constant": lambda m, g: g.operators[0].outputs.__setitem__(0, 4),
    "opcode-index-out-of-range": lambda m, g: setattr(g.operators[0], "opcodeIndex", 7),
    "graph-output-constant": lambda m, g: setattr(g, "outputs", np.array([4], np.int32)),
    "graph-output-out-of-range": lambda m, g: setattr(g, "outputs", np.array([50], np.int32)),
    "graph-input-negative": lambda m, g: setattr(g, "inputs", np.array([-1], np.int32)),
    "graph-no-outputs": lambda m, g: setattr(g, "outputs", np.array([], np.int32)),
    "graph-no-inputs": lambda m, g: setattr(g, "inputs", np.array([], np.int32)),
    "scale-nan": lambda m, g: _quant(g, 0, scale=np.array([math.nan], np.float32)),
    "scale-inf": lambda m, g: _quant(g, 9, scale=np.array([math.inf], np.float32)),
    "input-scale-zero": lambda m, g: _quant(g, 0, scale=np.array([0.0], np.float32)),
    "output-scale-negative": lambda m, g: _quant(g, 9, scale=np.array([-0.5], np.float32)),
    "zero-point-1000": lambda m, g: _quant(g, 9, zeroPoint=np.array([1000], np.int64)),
    "zero-point-minus-129": lambda m, g: _quant(g, 7, zeroPoint=np.array([-129], np.int64)),
    "per-channel-scale-count": lambda m, g: _quant(g, 4, scale=np.full(15, 0.01, np.float32),
                                                   zeroPoint=np.zeros(15, np.int64), quantizedDimension=0),
    "per-channel-axis-out-of-range": lambda m, g: _quant(g, 4, scale=np.full(16, 0.01, np.float32),
                                                         zeroPoint=np.zeros(16, np.int64), quantizedDimension=5),
    "negative-dimension": lambda m, g: _shape(m, g, 7, [1, -16]),
    "shape-wraps-to-zero": lambda m, g: _shape(m, g, 7, [65536, 65536]),
    "shape-overflows": lambda m, g: _shape(m, g, 8, [2**31 - 1, 2**31 - 1]),
    "buffer-size-mismatch": lambda m, g: setattr(m.buffers[5], "data", m.buffers[5].data[:-1]),
    "buffer-offset-past-end": lambda m, g: (setattr(m.buffers[5], "data", None),
                                            setattr(m.buffers[5], "offset", 1 << 20),
                                            setattr(m.buffers[5], "size", 256)),
    "no-subgraphs": lambda m, g: setattr(m, "subgraphs", []),
    "custom-op-hostile-name": lambda m, g: _custom(m, g, b"evil\n\x1b[31m" + b"A" * 100_000),
    "tensor-type-string": lambda m, g: setattr(g.tensors[7], "type", edits.schema.TensorType.STRING),
    # Valid: a name full of terminal escapes is data, not a reason to refuse the model.
    "hostile-tensor-name": lambda m, g: setattr(g.tensors[0], "name", b"\x1b[2J" * 1000),
}
# A constant graph output is the constant: TFLM returns it, emu copies it into the arena.
VALID_INT8_EDITS = {"hostile-tensor-name", "graph-output-constant"}

# The float model: tensor 2 is the last layer's bias, so its value reaches the output.
FLOAT_EDITS = {
    "nan-weight": lambda model: edits.with_float_constant(model, 2, 0, math.nan),
    "inf-weight": lambda model: edits.with_float_constant(model, 2, 0, math.inf),
    "minus-inf-weight": lambda model: edits.with_float_constant(model, 5, 3, -math.inf),
}


@pytest.fixture(scope="module")
def models(dense_models) -> dict[str, bytes]:
    return dense_models


def corpus(models: dict[str, bytes]) -> list[tuple[str, bytes, str | None]]:
    """(case name, model bytes, expected outcome or None where either clean outcome is fine)."""
    int8, flt = models["int8"], models["float"]
    bases = [("int8", int8), ("float", flt)]
    real = SHARED_MODELS / "hello_world_int8.tflite"
    if real.is_file():  # the optional corpus: more cases, not other checks
        bases.append(("hello-world-int8", real.read_bytes()))
    cases: list[tuple[str, bytes, str | None]] = [(f"{b}-original", m, "ok") for b, m in bases]
    for base, model in bases:
        cases += [(f"{base}-{name}", data, "rejected") for name, data in edits.truncations(model)]
        flips = edits.bit_flips(model, structure=20, data=3, seed=2024)
        cases += [(f"{base}-{name}", data, None) for name, data in flips]
    for name, change in INT8_EDITS.items():
        cases.append((f"int8-{name}", edits.edited(int8, change), "ok" if name in VALID_INT8_EDITS else "rejected"))
    for name, make in FLOAT_EDITS.items():
        cases.append((f"float-{name}", make(flt), "ok"))
    return cases


# Valid cases that also run in the emulator, their outputs checked against the reference.
RUN_CASES = {"int8-original", "float-nan-weight", "float-inf-weight", "float-minus-inf-weight",
             "int8-hostile-tensor-name", "int8-graph-output-constant"}


def test_every_corpus_model_builds_or_is_rejected_in_one_line(models, tmp_path):
    cases = corpus(models)
    assert len(cases) >= 150
    counts: Counter[tuple[str, str]] = Counter()
    wrong = []
    for i, (name, data, expected) in enumerate(cases):
        # One file name for all: the name is in the generated C, and models that compile to the
        # same C then share one cached firmware build.
        (tmp_path / f"case{i}").mkdir()
        model = tmp_path / f"case{i}" / "model.tflite"
        model.write_bytes(data)
        out = tmp_path / f"out{i}"
        code, _, stderr = emu_in_process("build", str(model), "-p", BOARD, "--out", str(out))
        got = outcome(code, stderr)
        family = "truncation" if "-truncated-" in name else "bit flip" if "-flip-" in name else "edit"
        counts[family, got if got in ("ok", "rejected") else "bad"] += 1
        if got not in ("ok", "rejected") or (expected and got != expected):
            wrong.append(f"{name}: expected {expected or 'ok or rejected'}, got {got}")
        if got == "rejected" and out.exists():
            wrong.append(f"{name}: rejected but left {out}")
        if got == "ok" and not (out / "firmware.elf").is_file():
            wrong.append(f"{name}: exit 0 without {out / 'firmware.elf'}")
        if name in RUN_CASES:
            run_out = tmp_path / f"y{i}.out"
            x = tmp_path / f"x{i}.npy"
            np.save(x, np.full((1, 1), 3, np.int8 if name.startswith("int8") else np.float32))
            code, _, stderr = emu_in_process("run", str(model), "-p", BOARD, "-i", str(x), "-o", str(run_out))
            if code != 0 or not run_out.is_file():
                wrong.append(f"{name}: emu run gave {outcome(code, stderr)}")
    print(f"fuzz corpus: {len(cases)} models; " + ", ".join(f"{f} {o}: {n}" for (f, o), n in sorted(counts.items())))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", sorted(set(INT8_EDITS) - VALID_INT8_EDITS))
def test_each_invalid_edit_is_named_in_its_error(name, models, tmp_path):
    """The one line names what is wrong (hand-written expectations, one per edit)."""
    model = tmp_path / "m.tflite"
    model.write_bytes(edits.edited(models["int8"], INT8_EDITS[name]))
    code, _, stderr = emu_in_process("build", str(model), "-p", BOARD, "--out", str(tmp_path / "o"))
    assert outcome(code, stderr) == "rejected", stderr
    words = EXPECTED_WORDS[name]
    for fragment in (words,) if isinstance(words, str) else words:
        assert fragment in stderr, stderr
    assert "\x1b" not in stderr and len(stderr) < 400


EXPECTED_WORDS = {
    "buffer-index-past-end": ("tensor 4 (", ") refers to buffer"),
    "op-input-out-of-range": "operator 0 (FULLY_CONNECTED) reads tensor 15",
    "op-input-negative": "operator 0 (FULLY_CONNECTED) reads tensor -2",
    "op-output-out-of-range": "operator 2 (FULLY_CONNECTED) writes tensor 99",
    "op-output-minus-one": "operator 2 (FULLY_CONNECTED) writes tensor -1",
    "op-no-inputs": "operator 1 (FULLY_CONNECTED) has no inputs",
    "op-no-outputs": "operator 1 (FULLY_CONNECTED) has no outputs",
    "op-writes-constant": "operator 0 (FULLY_CONNECTED) writes tensor 4",
    "opcode-index-out-of-range": "operator 0 has opcode 7",
    "graph-output-out-of-range": "graph output 50 is not a tensor",
    "graph-input-negative": "graph input -1 is not a tensor",
    "graph-no-outputs": "the graph has no outputs",
    "graph-no-inputs": "the graph has no inputs",
    "scale-nan": ("tensor 0 (", ") has quantization scale nan"),
    "scale-inf": ("tensor 9 (", ") has quantization scale inf"),
    "input-scale-zero": ("tensor 0 (", ") has quantization scale 0;"),
    "output-scale-negative": ("tensor 9 (", ") has quantization scale -0.5;"),
    "zero-point-1000": "zero point 1000, outside the int8 range [-128, 127]",
    "zero-point-minus-129": "zero point -129, outside the int8 range",
    "per-channel-scale-count": "has 15 scales, but dimension 0 of shape [16, 16] has 16 channels",
    "per-channel-axis-out-of-range": "is quantized along dimension 5, but has shape [16, 16]",
    "negative-dimension": "has a negative dimension in shape [1, -16]",
    "shape-wraps-to-zero": "has shape [65536, 65536]: 4,294,967,296 elements",
    "shape-overflows": "has shape [2147483647, 2147483647]",
    "buffer-size-mismatch": "its buffer holds 255 bytes, but shape [16, 16] of int8 needs 256",
    "buffer-offset-past-end": "a weight buffer points past the end of the file",
    "no-subgraphs": "the model has no subgraph",
    "custom-op-hostile-name": "unsupported operator CUSTOM:evil\\n\\x1b[31mAAAA",
    "tensor-type-string": "tensor 7 has type STRING",
}


def test_hostile_custom_op_name_is_escaped_and_cut(models, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(edits.edited(models["int8"], INT8_EDITS["custom-op-hostile-name"]))
    _, _, stderr = emu_in_process("build", str(model), "-p", BOARD, "--out", str(tmp_path / "o"))
    line = stderr.strip()
    assert "\x1b" not in line and "\n" not in line
    assert "AAA..." in line and len(line) < 200


def test_non_utf8_file_name_builds(models, tmp_path):
    name = Path(f"{tmp_path}/caf\udce9 \udcff.tflite")  # the bytes 0xe9 and 0xff, as os.fsdecode gives them
    name.write_bytes(models["int8"])
    code, _, stderr = emu_in_process("build", str(name), "-p", BOARD, "--out", str(tmp_path / "o"))
    assert code == 0, stderr
    assert (tmp_path / "o" / "firmware.elf").is_file()
