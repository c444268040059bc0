"""The whole keyword_scrambled_8bit model (QUANTIZE int16 -> int8, seven SVDF and five
FULLY_CONNECTED layers, SOFTMAX int8 -> int16, QUANTIZE int16 -> int32) against TFLM: on the
host over a sequence of inferences (the SVDF states carry from one to the next), and on the
Cortex-M0+ and the M4F for one inference from boot. The two operator forms it brought in,
SOFTMAX int8 -> int16 and QUANTIZE to int32, are also checked alone on generated models whose
outputs do not saturate (the shared model's scrambled weights saturate its logits).
"""

from __future__ import annotations

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import run_compiled_on_host_sequence
from emu.errors import EmuError
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests.conftest import needs_arm_gcc, shared_model
from tests.model_edits import edited, pack
from tests.test_ops_recurrent import _inputs, _tensor, assert_same, check_sequence, tflm_sequence

MODEL = "keyword_scrambled_8bit.tflite"
# int16 features of quiet audio: the first QUANTIZE maps 0..1800 onto int8 -128..-109
QUIET = (0, 1800)


def whole_model_with_states() -> bytes:
    """The shared model unchanged but for its outputs: every SVDF state and the logits join
    the int32 probabilities, so that each step shows the state carried from the one before."""
    model = shared_model(MODEL).read_bytes()

    def more_outputs(m, g):
        svdf = {i for i, code in enumerate(m.operatorCodes)
                if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.SVDF}
        g.outputs = [*g.outputs, *(op.inputs[4] for op in g.operators if op.opcodeIndex in svdf),
                     g.operators[-2].inputs[0]]
    return edited(model, more_outputs)


@pytest.mark.shared_models
def test_whole_keyword_model_matches_tflm_over_a_sequence():
    model = shared_model(MODEL).read_bytes()
    ops = [op.op for op in parse_model(model).operators]
    assert (ops[0], ops[-2:], ops.count("SVDF"), ops.count("FULLY_CONNECTED")) == \
        ("QUANTIZE", ["SOFTMAX", "QUANTIZE"], 7, 5)
    check_sequence(model, steps=6, int_range=QUIET)
    want = check_sequence(whole_model_with_states(), steps=8, seed=1, int_range=QUIET)
    assert all(len({w[k].tobytes() for w in want}) > 1 for k in range(1, 8))  # every state moves


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.shared_models
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi"])  # Cortex-M0+ (soft float), M4F
def test_whole_keyword_model_matches_tflm_on_the_device(board, tmp_path):
    path = tmp_path / "keyword_with_states.tflite"
    path.write_bytes(whole_model_with_states())
    graph = parse_model(path.read_bytes())
    result, _ = measure(path, get_platform(board), variant="with_states")
    assert result.output_matches_reference is True, board
    assert result.reference == "tflm"
    paths = {op.op: layer.path for op, layer in zip(graph.operators, result.layers, strict=True)
             if op.op in ("SOFTMAX", "QUANTIZE")}
    assert paths == {"SOFTMAX": "softmax/reference", "QUANTIZE": "quantize/reference"}
    assert result.cycles > 0


# ---- each new form alone, on generated models --------------------------------------------------

def one_operator(op_code: int, x_type: int, x_scale: float, x_zp: int, y_type: int, y_scale: float,
                 y_zp: int, shape: tuple[int, ...], options=None) -> bytes:
    model, graph = schema.ModelT(), schema.SubGraphT()
    model.version, model.buffers, graph.tensors = 3, [schema.BufferT()], []
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = op_code
    code.version = 2
    model.operatorCodes = [code]
    x = _tensor(model, graph, "input", shape, x_type, None, x_scale, x_zp)
    y = _tensor(model, graph, "output", shape, y_type, None, y_scale, y_zp)
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [x], [y]
    if options is not None:
        op.builtinOptionsType, op.builtinOptions = options
    graph.inputs, graph.outputs, graph.operators = [x], [y], [op]
    model.subgraphs = [graph]
    return pack(model)


def check_against_tflm(model: bytes, steps: int = 3) -> list[np.ndarray]:
    sequence = _inputs(model, steps, seed=3)
    want = tflm_sequence(model, sequence)
    got = run_compiled_on_host_sequence(compile_graph(parse_model(model), "reference"), sequence)
    for step, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_same(g, w, step)
    return [w[0] for w in want]


@pytest.mark.parametrize("beta", [1.0, 0.3])
def test_softmax_int8_to_int16_matches_tflm(beta):
    T = schema.TensorType
    options = schema.SoftmaxOptionsT()
    options.beta = beta
    model = one_operator(schema.BuiltinOperator.SOFTMAX, T.INT8, 0.05, 3, T.INT16, 1 / 65536, -32768, (4, 10),
                         (schema.BuiltinOptions.SoftmaxOptions, options))
    want = check_against_tflm(model)
    assert len(np.unique(np.concatenate(want))) > 20  # the probabilities spread over the int16 range


def test_softmax_int8_to_int16_refuses_what_tflm_refuses():
    T = schema.TensorType
    options = schema.SoftmaxOptionsT()
    model = one_operator(schema.BuiltinOperator.SOFTMAX, T.INT8, 0.05, 3, T.INT16, 1 / 65536, 0, (1, 10),
                         (schema.BuiltinOptions.SoftmaxOptions, options))
    with pytest.raises(EmuError, match="zero point -32768"):
        compile_graph(parse_model(model))
    with pytest.raises((RuntimeError, ValueError)):  # TFLM's Prepare fails the same model
        tflm_sequence(model, _inputs(model, 1, 0))


@pytest.mark.parametrize("x_type,x_scale,x_zp,y_scale,y_zp", [
    (schema.TensorType.INT16, 1.5259e-05, -32768, 3.0518e-05, 0),   # the keyword model's last layer
    (schema.TensorType.INT16, 0.001, 0, 0.0003, 7),                # widening by more than 3
    (schema.TensorType.INT8, 0.02, -5, 0.0007, -100),
])
def test_quantize_to_int32_matches_tflm(x_type, x_scale, x_zp, y_scale, y_zp):
    model = one_operator(schema.BuiltinOperator.QUANTIZE, x_type, x_scale, x_zp, schema.TensorType.INT32,
                         y_scale, y_zp, (2, 50))
    check_against_tflm(model)
