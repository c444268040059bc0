"""Weights kept compact in flash: float16 weights widened at run time, against numpy's
float16 -> float32 and LiteRT (TFLM refuses float16 models)."""

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import run_compiled_on_host, run_on_host
from emu.model.oracle import litert_outputs
from emu.model.reader import Graph, Operator, Tensor, parse_model
from emu.platforms import get_platform
from tests import modelgen
from tests.conftest import needs_arm_gcc

BOARDS = ["rp2040-pico", "nucleo-l4r5zi", "disco-f746ng"]
ALL_HALVES = np.arange(65536, dtype=np.uint32).astype(np.uint16)


def widening_graph(halves: np.ndarray) -> Graph:
    """input (unused) ; constant float16 -> DEQUANTIZE -> output float32."""
    n = halves.size
    tensors = [Tensor(0, "x", (1,), "float32", None),
               Tensor(1, "h", (n,), "float16", None, halves.view(np.float16).copy()),
               Tensor(2, "y", (n,), "float32", None)]
    return Graph("halves", "", tensors, [Operator(0, "DEQUANTIZE", (1,), (2,))], [0], [2])


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(np.asarray(a, np.float32).view(np.uint32), np.asarray(b, np.float32).view(np.uint32))


def test_every_half_widens_as_numpy_does_on_the_host():
    compiled = compile_graph(widening_graph(ALL_HALVES))
    assert compiled.weight_bytes == 2 * ALL_HALVES.size  # the half bits, not float32, in flash
    (out,) = run_compiled_on_host(compiled, [np.zeros(1, np.float32)])
    assert same_bits(out, ALL_HALVES.view(np.float16).astype(np.float32))


@needs_arm_gcc
@pytest.mark.parametrize("board", BOARDS)
def test_every_half_widens_as_numpy_does_on_the_device(board):
    """M0+: the portable conversion; M4F (FPv4) and M7 (FPv5): VCVTB, NaNs excepted."""
    from emu.build.firmware import build_firmware
    from emu.results.measure import emulate

    platform = get_platform(board)
    compiled = compile_graph(widening_graph(ALL_HALVES))
    firmware = build_firmware(compiled, platform)
    (out,), _ = emulate(firmware, platform, [np.zeros(1, np.float32)])
    assert same_bits(out, ALL_HALVES.view(np.float16).astype(np.float32))


def float16_model(seed: int) -> bytes:
    tf = modelgen.tf()
    L = tf.keras.layers
    model = modelgen.keras_model([L.Conv2D(6, 3, activation="relu"), L.DepthwiseConv2D(3), L.Conv2D(5, 1),
                                  L.Reshape((4 * 4 * 5,)), L.Dense(7), L.Softmax()], (8, 8, 3), seed=seed)
    return modelgen.to_float16(model)


@pytest.fixture(scope="module")
def float16_models():
    return [float16_model(seed) for seed in range(4)]


def weights_of(graph: Graph, dtype: str) -> int:
    return sum(t.nbytes for t in graph.tensors if t.is_constant and t.dtype == dtype)


def test_float16_models_match_litert_on_the_host(float16_models):
    for i, model in enumerate(float16_models):
        rng = np.random.default_rng(i)
        for _ in range(3):
            x = [rng.uniform(-1, 1, (1, 8, 8, 3)).astype(np.float32)]
            assert all(same_bits(a, b) for a, b in zip(run_on_host(model, x), litert_outputs(model, x)))


def test_float16_weights_take_half_the_flash_and_one_layer_of_arena(float16_models):
    graph = parse_model(float16_models[0])
    halves = weights_of(graph, "float16")
    compiled = compile_graph(graph)
    float32_weights = 2 * halves
    # the parameters besides the weights (shapes of RESHAPE) are a few bytes
    assert compiled.weight_bytes <= 0.52 * float32_weights
    widened = {op.outputs[0]: graph.tensors[op.outputs[0]].nbytes for op in graph.operators if op.op == "DEQUANTIZE"}
    # all widened at the start (where the converter puts them) would need their sum at once
    assert compiled.arena_bytes < sum(widened.values())
    # each widening runs just before the operator that reads it
    layers = [layer.op for layer in compiled.layers]
    consumers = [op for op in graph.operators if set(op.inputs) & set(widened)]
    assert layers.count("DEQUANTIZE") == len(widened)
    for consumer in consumers:
        reads = len(set(consumer.inputs) & set(widened))
        position = next(i for i, layer in enumerate(compiled.layers) if layer.index == consumer.index)
        assert layers[position - reads:position] == ["DEQUANTIZE"] * reads


@needs_arm_gcc
@pytest.mark.parametrize("board", BOARDS)
def test_float16_model_matches_litert_on_the_device(float16_models, board, tmp_path):
    from emu.results.measure import measure

    path = tmp_path / "f16.tflite"
    path.write_bytes(float16_models[1])
    result, _ = measure(path, get_platform(board), variant="fp16")
    assert result.reference == "litert" and result.output_matches_reference is True
