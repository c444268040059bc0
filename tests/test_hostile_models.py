"""Hostile and edge-case models, each made here from a small valid one, through `emu build` or
`emu run` as the command gives them.

Every case ends one of two ways: a model no runtime can compute as written (a zero stride, a
depth multiplier the filter contradicts, a rescale past 32 bits, operators out of order...) is
refused with exit 2, exactly one line naming the operator or tensor, no traceback and nothing
at the output path; a valid edge case (an absent bias, a dilated window, an odd beta...) runs
in the emulator and its output equals the TFLM interpreter's. The bases are a small CNN
(CONV_2D, DEPTHWISE_CONV_2D with depth multiplier 2, MAX_POOL_2D, AVERAGE_POOL_2D,
FULLY_CONNECTED, SOFTMAX) and the dense hello_world network, in int8 and float32, and an int8
model of RESHAPE, FULLY_CONNECTED without bias, MUL, ADD and LOGISTIC, converted by TensorFlow
(tests/modelgen.py); the edits are tests/model_edits.py's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from emu.errors import EmuError
from tests import in_process
from tests import model_edits as edits
from tests.conftest import needs_arm_gcc

BOARD = "nucleo-l4r5zi"
CASE_SECONDS = 60  # a case still running then is a hang

schema = edits.schema
# The CNN: tensor 0 input [1, 8, 8, 2]; operators 0 CONV_2D (0, 6 filter, 5 bias) -> 7,
# 1 DEPTHWISE_CONV_2D (7, 4, 3) -> 8, 2 MAX_POOL_2D 8 -> 9, 3 AVERAGE_POOL_2D 9 -> 10,
# 4 FULLY_CONNECTED (10, 2, 1) -> 11, 5 SOFTMAX 11 -> 12 (the output). The float CNN has the
# same operators; its constants are numbered differently (the filters are looked up).
CONV, DEPTHWISE, MAX_POOL, AVERAGE_POOL, DENSE, SOFTMAX = range(6)


@dataclass
class Case:
    name: str
    base: str  # "cnn-int8", "cnn-float", "dense-int8", "dense-float", "mixed-int8"
    edit: Callable | None  # change(ModelT, SubGraphT), or None for the base as it is
    expect: str  # "refused" or "right answer"
    words: str = ""  # what the one line must say (refusals)
    board: str = BOARD


def options(op: int, **fields):
    def change(m, g):
        for k, v in fields.items():
            setattr(g.operators[op].builtinOptions, k, v)
    return change


def op_inputs(op: int, *inputs: int):
    return lambda m, g: setattr(g.operators[op], "inputs", np.array(inputs, np.int32))


def op_input(op: int, position: int, tensor: int):
    return lambda m, g: g.operators[op].inputs.__setitem__(position, tensor)


def op_outputs(op: int, *outputs: int):
    return lambda m, g: setattr(g.operators[op], "outputs", np.array(outputs, np.int32))


def scale(tensor: int, value: float, per_channel: bool = False):
    def change(m, g):
        q = g.tensors[tensor].quantization
        q.scale = np.full(len(q.scale) if per_channel else 1, value, np.float32)
        if not per_channel:
            q.zeroPoint = q.zeroPoint[:1]
    return change


def reorder(*order: int):
    return lambda m, g: setattr(g, "operators", [g.operators[i] for i in order])


def input_with_data(m, g):
    """The graph input given constant contents of its own size (a new buffer)."""
    t = g.tensors[g.inputs[0]]
    buffer = schema.BufferT()
    size = int(np.prod(t.shape)) * (4 if t.type == schema.TensorType.FLOAT32 else 1)
    buffer.data = np.zeros(size, np.uint8)
    m.buffers.append(buffer)
    t.buffer = len(m.buffers) - 1


def unused_tensors(count: int):
    def change(m, g):
        for i in range(count):
            t = schema.TensorT()
            t.shape, t.type, t.buffer, t.name = np.array([1, 4], np.int32), schema.TensorType.INT8, 0, f"unused{i}"
            g.tensors.append(t)
    return change


def _window_cases(base: str) -> list[Case]:
    op = f"operator {CONV} (CONV_2D)"
    dw = f"operator {DEPTHWISE} (DEPTHWISE_CONV_2D)"
    mp, ap = f"operator {MAX_POOL} (MAX_POOL_2D)", f"operator {AVERAGE_POOL} (AVERAGE_POOL_2D)"
    refused = [
        ("conv-stride-h-0", options(CONV, strideH=0), f"{op} has stride_h 0; it must be at least 1"),
        ("conv-stride-w-0", options(CONV, strideW=0), f"{op} has stride_w 0"),
        ("conv-stride-h-negative", options(CONV, strideH=-1), f"{op} has stride_h -1"),
        ("conv-stride-w-int-min", options(CONV, strideW=-(2**31)), f"{op} has stride_w -2147483648"),
        ("conv-dilation-h-0", options(CONV, dilationHFactor=0), f"{op} has dilation_hfactor 0"),
        ("conv-dilation-w-negative", options(CONV, dilationWFactor=-3), f"{op} has dilation_wfactor -3"),
        ("conv-padding-unknown", options(CONV, padding=7), f"{op} has padding 7, which is neither SAME nor VALID"),
        ("conv-activation-unknown", options(CONV, fusedActivationFunction=42),
         f"{op} has fused activation 42, which the schema does not define"),
        ("depthwise-stride-h-0", options(DEPTHWISE, strideH=0), f"{dw} has stride_h 0"),
        ("depthwise-stride-w-negative", options(DEPTHWISE, strideW=-2), f"{dw} has stride_w -2"),
        ("depthwise-dilation-w-0", options(DEPTHWISE, dilationWFactor=0), f"{dw} has dilation_wfactor 0"),
        ("depthwise-multiplier-0", options(DEPTHWISE, depthMultiplier=0), f"{dw} has depth_multiplier 0"),
        ("depthwise-multiplier-negative", options(DEPTHWISE, depthMultiplier=-2), f"{dw} has depth_multiplier -2"),
        ("depthwise-multiplier-1-filter-says-2", options(DEPTHWISE, depthMultiplier=1),
         f"{dw} has depth_multiplier 1, but its filter [1, 3, 3, 8] makes 8 output channels from 4 input"),
        ("depthwise-multiplier-4-filter-says-2", options(DEPTHWISE, depthMultiplier=4),
         f"{dw} has depth_multiplier 4, but its filter"),
        ("maxpool-filter-h-0", options(MAX_POOL, filterHeight=0), f"{mp} has filter_height 0"),
        ("maxpool-filter-w-0", options(MAX_POOL, filterWidth=0), f"{mp} has filter_width 0"),
        ("maxpool-stride-h-0", options(MAX_POOL, strideH=0), f"{mp} has stride_h 0"),
        ("maxpool-stride-w-negative", options(MAX_POOL, strideW=-1), f"{mp} has stride_w -1"),
        ("maxpool-padding-unknown", options(MAX_POOL, padding=2), f"{mp} has padding 2"),
        ("avgpool-filter-h-negative", options(AVERAGE_POOL, filterHeight=-3), f"{ap} has filter_height -3"),
        ("avgpool-filter-w-0", options(AVERAGE_POOL, filterWidth=0), f"{ap} has filter_width 0"),
        ("avgpool-stride-w-0", options(AVERAGE_POOL, strideW=0), f"{ap} has stride_w 0"),
        ("softmax-beta-nan", options(SOFTMAX, beta=math.nan), "(SOFTMAX) has beta nan, which is not finite"),
        ("softmax-beta-inf", options(SOFTMAX, beta=math.inf), "(SOFTMAX) has beta inf, which is not finite"),
        ("softmax-beta-minus-inf", options(SOFTMAX, beta=-math.inf), "(SOFTMAX) has beta -inf"),
    ]
    return [Case(f"{base}-{name}", base, change, "refused", words) for name, change, words in refused]


def _cnn_int8_cases() -> list[Case]:
    base = "cnn-int8"
    cases = _window_cases(base)
    conv, dw = f"operator {CONV} (CONV_2D)", f"operator {DEPTHWISE} (DEPTHWISE_CONV_2D)"
    fc = f"operator {DENSE} (FULLY_CONNECTED)"
    refused = [
        # Scales: a rescale past 2^31 that TFLM shifts an int32 by (undefined in C)
        ("input-scale-1e38", scale(0, 1e38), f"{conv} cannot be computed: a rescale by"),
        ("conv-output-scale-1e-38", scale(7, 1e-38), f"{conv} cannot be computed"),
        ("conv-filter-scales-1e38", scale(6, 1e38, per_channel=True), f"{conv} cannot be computed"),
        ("depthwise-input-scale-1e38", scale(7, 1e38), f"{dw} cannot be computed"),
        ("dense-output-scale-1e-38", scale(11, 1e-38), f"{fc} cannot be computed"),
        # Inputs that must be there
        ("conv-filter-absent", op_input(CONV, 1, -1),
         f"{conv} has no tensor (-1) for its input 1, which CONV_2D needs"),
        ("conv-input-absent", op_input(CONV, 0, -1), f"{conv} has no tensor (-1) for its input 0"),
        ("depthwise-filter-absent", op_input(DEPTHWISE, 1, -1), f"{dw} has no tensor (-1) for its input 1"),
        ("dense-weights-absent", op_input(DENSE, 1, -1), f"{fc} has no tensor (-1) for its input 1"),
        ("maxpool-input-absent", op_inputs(MAX_POOL, -1), "(MAX_POOL_2D) has no tensor (-1) for its input 0"),
        ("softmax-input-absent", op_inputs(SOFTMAX, -1), "(SOFTMAX) has no tensor (-1) for its input 0"),
        ("conv-one-input", op_inputs(CONV, 0), f"{conv} has 1 input; CONV_2D needs at least 2"),
        ("dense-one-input", op_inputs(DENSE, 10), f"{fc} has 1 input;"),
        # Graph inputs
        ("input-holds-data", input_with_data, "graph input tensor 0 ("),
        ("input-is-the-filter", lambda m, g: setattr(g, "inputs", np.array([6], np.int32)), "graph input tensor 6 ("),
        # Dataflow: self-loops, order, writers
        ("softmax-reads-its-output", op_inputs(SOFTMAX, 12), f"operator {SOFTMAX} (SOFTMAX) reads tensor 12 ("),
        ("conv-reads-its-output", op_input(CONV, 0, 7), f"{conv} reads tensor 7 ("),
        ("dense-weights-are-its-output", op_input(DENSE, 1, 11), f"{fc} reads tensor 11 ("),
        ("first-two-swapped", reorder(1, 0, 2, 3, 4, 5), "operator 0 (DEPTHWISE_CONV_2D) reads tensor 7 ("),
        ("all-reversed", reorder(5, 4, 3, 2, 1, 0), "operator 0 (SOFTMAX) reads tensor 11 ("),
        ("softmax-first", reorder(5, 0, 1, 2, 3, 4), "operator 0 (SOFTMAX) reads tensor 11 ("),
        ("pooling-swapped", reorder(0, 1, 3, 2, 4, 5), "operator 2 (AVERAGE_POOL_2D) reads tensor 9 ("),
        ("two-writers", op_outputs(AVERAGE_POOL, 9), f"operator {AVERAGE_POOL} (AVERAGE_POOL_2D) writes tensor 9 ("),
        ("writes-the-graph-input", op_outputs(CONV, 0), f"{conv} writes tensor 0 ("),
        # Refused by the lowering, as before: the one line names the operator
        ("filter-is-an-activation", op_input(CONV, 1, 0), "unsupported operator CONV_2D at index 0"),
        ("conv-stride-2-output-8x8", options(CONV, strideH=2, strideW=2), "unsupported operator CONV_2D at index 0"),
        ("softmax-beta-0", options(SOFTMAX, beta=0.0), "unsupported operator SOFTMAX at index 5"),
    ]
    cases += [Case(f"{base}-{name}", base, change, "refused", words) for name, change, words in refused]
    right = [
        ("as-converted", None),
        ("conv-bias-absent", op_input(CONV, 2, -1)),
        ("conv-dilation-2", options(CONV, dilationHFactor=2, dilationWFactor=2)),
        ("softmax-beta-half", options(SOFTMAX, beta=0.5)),
        ("dense-output-scale-1e38", scale(11, 1e38)),  # every rescale to it rounds to 0, as in TFLM
        ("500-unused-tensors", unused_tensors(500)),
        ("two-graph-outputs", lambda m, g: setattr(g, "outputs", np.array([12, 11], np.int32))),
    ]
    return cases + [Case(f"{base}-{name}", base, change, "right answer") for name, change in right]


# The window and option cases again on the float CNN, where the same options reach other kernels.
FLOAT_WINDOW_CASES = ("conv-stride-h-0", "conv-dilation-w-negative", "depthwise-multiplier-0",
                      "depthwise-multiplier-1-filter-says-2", "maxpool-filter-w-0", "avgpool-stride-w-0",
                      "softmax-beta-nan", "softmax-beta-inf")


def _float_cases() -> list[Case]:
    cases = [c for c in _window_cases("cnn-float") if c.name.removeprefix("cnn-float-") in FLOAT_WINDOW_CASES]
    right = [
        ("cnn-float", "as-converted", None),
        ("cnn-float", "conv-dilation-2", options(CONV, dilationHFactor=2, dilationWFactor=2)),
        ("cnn-float", "softmax-beta-negative", options(SOFTMAX, beta=-1.0)),
        ("dense-float", "bias-absent", op_input(2, 2, -1)),
    ]
    return cases + [Case(f"{base}-{name}", base, change, "right answer") for base, name, change in right]


def _dense_cases() -> list[Case]:
    fc = "operator {} (FULLY_CONNECTED)"
    refused = [
        ("dense-int8", "input-scale-1e38", scale(0, 1e38), f"{fc.format(0)} cannot be computed"),
        ("dense-int8", "input-holds-data", input_with_data, "graph input tensor 0 ("),
        ("dense-int8", "weights-absent", op_input(1, 1, -1), f"{fc.format(1)} has no tensor (-1) for its input 1"),
        ("dense-int8", "layers-swapped", reorder(1, 0, 2), f"{fc.format(0)} reads tensor"),
        ("dense-int8", "last-reads-its-output", op_input(2, 0, 9), f"{fc.format(2)} reads tensor 9 ("),
        ("dense-float", "input-holds-data", input_with_data, "graph input tensor"),
        ("dense-float", "weights-absent", op_input(0, 1, -1), f"{fc.format(0)} has no tensor (-1) for its input 1"),
        ("dense-float", "layers-reversed", reorder(2, 1, 0), f"{fc.format(0)} reads tensor"),
    ]
    cases = [Case(f"{base}-{name}", base, change, "refused", words) for base, name, change, words in refused]
    return cases + [Case("dense-int8-bias-absent", "dense-int8", op_input(2, 2, -1), "right answer")]


# The mixed model: tensor 0 input [1, 4]; operators 0 RESHAPE (0, 1 shape) -> 3, 1 FULLY_CONNECTED
# (0, 2, no bias) -> 4, 2 MUL (4, 0) -> 5, 3 ADD (5, 3) -> 6, 4 LOGISTIC 6 -> 7 (the output).
def _mixed_cases() -> list[Case]:
    refused = [
        ("mul-output-scale-1e-38", scale(5, 1e-38), "operator 2 (MUL) cannot be computed: a rescale by"),
        ("logistic-input-scale-1e38", scale(6, 1e38), "operator 4 (LOGISTIC) cannot be computed"),
        ("add-output-scale-1e-30", scale(6, 1e-30), "unsupported operator ADD at index 3"),
        ("add-input-absent", op_input(3, 1, -1), "operator 3 (ADD) has no tensor (-1) for its input 1"),
        ("mul-one-input", op_inputs(2, 4), "operator 2 (MUL) has 1 input; MUL needs at least 2"),
        ("mul-reads-its-output", op_input(2, 0, 5), "operator 2 (MUL) reads tensor 5 ("),
        ("add-before-mul", reorder(0, 1, 3, 2, 4), "operator 2 (ADD) reads tensor 5 ("),
    ]
    cases = [Case(f"mixed-int8-{name}", "mixed-int8", change, "refused", words) for name, change, words in refused]
    right = [("as-converted", None), ("reshape-shape-absent", op_input(0, 1, -1))]
    return cases + [Case(f"mixed-int8-{name}", "mixed-int8", change, "right answer") for name, change in right]


CASES = _cnn_int8_cases() + _float_cases() + _dense_cases() + _mixed_cases()


# ---- running a case

def emu(*args: str, seconds: int = CASE_SECONDS) -> tuple[int | str, str]:
    """(exit code, stderr) of `emu ARGS` run in this process, or ("hang", "") past `seconds`."""
    try:
        code, _, err = in_process.emu_in_process(*args, seconds=seconds)
    except in_process.Hang:
        return "hang", ""
    return code, err


def clean_refusal(code, stderr: str) -> bool:
    lines = stderr.splitlines()
    return (code == 2 and len(lines) == 1 and lines[0].startswith("emu: ") and "internal error" not in lines[0]
            and "Traceback" not in stderr and "\x1b" not in stderr)


def outcome(code, stderr: str, expect: str, answer_is_right: bool | None) -> str:
    """'clean refusal', 'right answer', 'wrong answer', 'wrongly accepted', 'internal error' or 'hang'."""
    if code == "hang":
        return "hang"
    if clean_refusal(code, stderr):
        return "clean refusal"
    if code == 0 and expect == "refused":
        return "wrongly accepted"
    if code in (0, 1) and answer_is_right is not None:
        return "right answer" if answer_is_right else "wrong answer"
    return "internal error"


@pytest.fixture(scope="module")
def bases(dense_models) -> dict[str, bytes]:
    from tests import modelgen

    tf = modelgen.tf()
    layers = tf.keras.layers
    shape = (8, 8, 2)
    cnn = modelgen.keras_model([layers.Conv2D(4, 3, padding="same", activation="relu"),
                                layers.DepthwiseConv2D(3, depth_multiplier=2), layers.MaxPool2D(2),
                                layers.AveragePooling2D(3), layers.Flatten(), layers.Dense(5), layers.Softmax()],
                               shape, seed=3)
    x = tf.keras.Input(shape=(4,), batch_size=1)
    tf.keras.utils.set_random_seed(5)
    dense = layers.Dense(4)(x)
    mixed = layers.Activation("sigmoid")(layers.Add()([layers.Multiply()([dense, x]), x]))
    return {"cnn-int8": modelgen.to_int8(cnn, shape), "cnn-float": modelgen.to_float(cnn),
            "dense-int8": dense_models["int8"], "dense-float": dense_models["float"],
            "mixed-int8": modelgen.to_int8(tf.keras.Model(x, mixed), (4,))}


def model_of(case: Case, bases: dict[str, bytes]) -> bytes:
    """The case's model. Edits of the float CNN name operators only (its tensors are numbered
    differently from the int8 one's)."""
    model = bases[case.base]
    return edits.edited(model, case.edit) if case.edit else model


def same_answer(got: np.ndarray, want: np.ndarray) -> bool:
    """int8 bit for bit; float32 to within a few units in the last place of the output (the
    kernels may sum a window in another order than TFLM's)."""
    if got.dtype.kind == "f":
        return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True))
    return bool(np.array_equal(got, want))


def run_case(case: Case, bases: dict[str, bytes], folder: Path) -> tuple[str, str]:
    """(outcome, stderr) of the case: `emu build` for a refusal, `emu run` for an answer."""
    from emu.model.oracle import tflm_outputs
    from emu.model.reader import parse_model

    folder.mkdir()
    model = folder / "model.tflite"
    data = model_of(case, bases)
    model.write_bytes(data)
    out = folder / "out"
    if case.expect == "refused":
        code, stderr = emu("build", str(model), "-p", case.board, "--out", str(out))
        got = outcome(code, stderr, case.expect, None)
        if got == "clean refusal" and out.exists():
            got = "wrongly accepted"  # refused, but something was written at the output path
        return got, stderr
    graph = parse_model(data)
    t = graph.tensors[graph.inputs[0]]
    rng = np.random.default_rng(11)
    x = (rng.integers(-128, 128, t.shape).astype(t.dtype) if t.dtype == "int8"
         else rng.uniform(-1, 1, t.shape).astype(t.dtype))
    np.save(folder / "x.npy", x)
    outputs = [folder / f"out{k}.npy" for k in range(len(graph.outputs))]  # `emu run` takes one per output
    code, stderr = emu("run", str(model), "-p", case.board, "-i", str(folder / "x.npy"),
                       *(arg for path in outputs for arg in ("-o", str(path))))
    right = None
    if code in (0, 1) and all(path.is_file() for path in outputs):
        right = all(same_answer(np.load(path), want)
                    for path, want in zip(outputs, tflm_outputs(data, [x]), strict=True))
    return outcome(code, stderr, case.expect, right), stderr


def _marked(case: Case):
    """A refusal comes before the compiler; a right answer is built and run in QEMU."""
    runs = case.expect == "right answer"
    return pytest.param(case, id=case.name, marks=[needs_arm_gcc, pytest.mark.qemu] if runs else [])


@pytest.mark.parametrize("case", [_marked(c) for c in CASES])
def test_hostile_model(case: Case, bases, tmp_path):
    got, stderr = run_case(case, bases, tmp_path / "case")
    want = "clean refusal" if case.expect == "refused" else "right answer"
    assert got == want, stderr
    if case.words:
        assert case.words in stderr, stderr


def test_the_corpus_is_large_and_mixed():
    assert len(CASES) >= 70
    assert len({c.name for c in CASES}) == len(CASES)
    assert sum(c.expect == "right answer" for c in CASES) >= 10


# ---- work bounded by the board

def _one_table_model(bases, count: int) -> bytes:
    """The dense model's middle layer listed `count` times, one table in the file."""
    return edits.one_operator_repeated(bases["dense-int8"], 1, count)


def test_100000_operators_sharing_one_table_are_refused_at_once(bases, tmp_path):
    model = tmp_path / "many.tflite"
    model.write_bytes(_one_table_model(bases, 100_000))
    assert model.stat().st_size < 500_000
    start = time.monotonic()
    code, stderr = emu("build", str(model), "-p", BOARD, "--out", str(tmp_path / "o"))
    assert clean_refusal(code, stderr), stderr
    assert "operator 1 (FULLY_CONNECTED) writes tensor 8 (" in stderr and "which operator 0 writes too" in stderr
    assert time.monotonic() - start < CASE_SECONDS
    assert not (tmp_path / "o").exists()


def test_more_operators_than_the_board_can_call_are_refused_before_compiling(bases, tmp_path):
    """A board file of 1 KB of flash: 300 operators need 1,200 bytes of calls before any weight."""
    board = tmp_path / "tiny.yaml"
    source = (Path(__file__).resolve().parents[1] / "emu" / "boards" / f"{BOARD}.yaml").read_text()
    lines = [("flash_bytes: 1024" if line.startswith("flash_bytes:") else
              "name: tiny-flash" if line.startswith("name:") else line) for line in source.splitlines()]
    board.write_text("\n".join(lines) + "\n")
    model = tmp_path / "chain.tflite"
    model.write_bytes(edits.operator_chain(bases["dense-int8"], 1, 300))
    code, stderr = emu("build", str(model), "-p", str(board), "--out", str(tmp_path / "o"))
    assert clean_refusal(code, stderr), stderr
    assert stderr.strip() == ("emu: error: chain cannot fit tiny-flash: its 300 operators and 2 graph inputs and "
                              "outputs need at least 1,216 bytes of flash for their calls and tables, board has 1,024")
    assert not (tmp_path / "o").exists()
    # The same chain fits a board of 2 MB (300 * 4 + 2 * 8 bytes is far below it) and compiles.
    from emu.compile.fits import check_graph_fits
    from emu.model.reader import parse_model

    check_graph_fits(parse_model(model.read_bytes()), BOARD, 2 * 1024 * 1024)
    with pytest.raises(EmuError, match="its 300 operators"):
        check_graph_fits(parse_model(model.read_bytes()), "tiny", 1215)


def test_a_chain_of_20000_layers_compiles_within_a_minute(bases):
    """20,000 fully connected layers in a chain compile in bounded time (every stage linear; the
    filter checks used to scan all operators for each operator). The C is as long as the
    chain: one call, one parameter block per layer."""
    from emu.compile.codegen import compile_graph
    from emu.model.reader import parse_model

    graph = parse_model(edits.operator_chain(bases["dense-int8"], 1, 20_000))
    with in_process.time_limit(CASE_SECONDS):
        compiled = compile_graph(graph, "optimized")
    assert len(compiled.layers) == 20_000
    assert compiled.source.count("emu_mark_layer();") == 20_000
    # Two 16-byte activations alive at a time, each 8-byte aligned: the chain reuses 32 bytes.
    assert compiled.arena_bytes == 32
