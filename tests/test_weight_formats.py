"""Weights kept compact in flash: float16 weights widened at run time, against numpy's
float16 -> float32 and LiteRT (TFLM refuses float16 models)."""

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import compile_and_run_on_host, run_compiled_on_host
from emu.model.graph import Graph, Operator, Tensor
from emu.model.oracle import litert_outputs
from emu.model.reader import parse_model
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
    from emu.link.firmware import build_firmware
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


@pytest.mark.parametrize("objective", ["flash", "latency"])  # widened at run time; expanded at build time
def test_float16_models_match_litert_on_the_host(float16_models, objective):
    for i, model in enumerate(float16_models):
        rng = np.random.default_rng(i)
        for _ in range(3):
            x = [rng.uniform(-1, 1, (1, 8, 8, 3)).astype(np.float32)]
            got = compile_and_run_on_host(model, x, objective=objective)
            assert all(same_bits(a, b) for a, b in zip(got, litert_outputs(model, x), strict=True))


def test_float16_weights_take_half_the_flash_and_one_layer_of_arena(float16_models):
    graph = parse_model(float16_models[0])
    halves = weights_of(graph, "float16")
    compiled = compile_graph(graph, objective="flash")
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
    result, _ = measure(path, get_platform(board), variant="fp16", objective="flash")
    assert "dequantize/reference" in {layer.path for layer in result.layers}  # widened on the device
    assert result.reference == "litert" and result.output_matches_reference is True


# ---- lookup-table (LUT) compressed weights: TFLM's compressor, TFLM's interpreter -------------

def few_valued_int8_model(seed: int, values: int) -> bytes:
    """Conv (SAME, stride 2), depthwise (channel axis last), 1x1 conv and dense layers whose
    float weights take `values` levels per output channel, each channel scaled differently,
    converted with per-channel int8 quantization: at most `values` int8 values per channel."""
    tf = modelgen.tf()
    L = tf.keras.layers
    model = modelgen.keras_model([L.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
                                  L.DepthwiseConv2D(3, depth_multiplier=2), L.Conv2D(5, 1), L.Reshape((3 * 3 * 5,)),
                                  L.Dense(7)], (9, 9, 3), seed=seed)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            w = weights[0]
            axis = w.ndim - 1  # output channels are last in Keras kernels
            levels = rng.normal(0, 0.4, values)
            picks = levels[rng.integers(0, values, w.shape)]
            factors = rng.uniform(0.5, 2.0, w.shape[axis])
            layer.set_weights([(picks * factors).astype(np.float32), *weights[1:]])
    return modelgen.to_int8(model, (9, 9, 3), seed=seed)


def random_int8(shape, seed):
    return [np.random.default_rng(seed).integers(-128, 128, shape).astype(np.int8)]


@pytest.fixture(scope="module")
def lut_models():
    from emu.variants.compression import compress_few_valued

    models = []
    for seed, values in enumerate((2, 3, 5, 12, 16)):
        plain = few_valued_int8_model(seed, values)
        models.append((values, plain, compress_few_valued(plain)))
    return models


def test_lut_models_use_index_widths_to_4_bits_and_both_channel_axes(lut_models):
    from emu.model.compressed import compressed_tensors

    widths, axes = set(), set()
    for _, _, compressed in lut_models:
        for _, lut in compressed_tensors(parse_model(compressed)).values():
            widths.add(lut.bitwidth)
            axes.add(lut.axis)
    assert widths == {1, 2, 3, 4} and {0, 3} <= axes


def decode_graph(values: np.ndarray, axis: int | None, bitwidth: int) -> Graph:
    """constant indices + ancillary tensor -> DECODE -> output, encoded by TFLM's compressor's
    own functions (its lut module), so the decoder under test did not produce them."""
    from tflite_micro.tensorflow.lite.micro.compression import decode as dcm
    from tflite_micro.tensorflow.lite.micro.compression import lut

    compressed = lut.compress_array(values, axis)
    stride = max(len(t) for t in compressed.lookup_tables)
    tables = lut.pack_lookup_tables(compressed.lookup_tables, stride)
    user = lut.LutAncillaryData(bitwidth=bitwidth, axis=0xF if axis is None else axis,
                                value_table_stride=stride).to_user_data()
    ancillary = dcm.DecodeCommonMetadata(decode_type=dcm.DecodeType.LUT, user_data=user).to_bytes() + tables
    encoded = np.frombuffer(lut.pack_indices(compressed.indices, bitwidth), np.uint8)
    tensors = [Tensor(0, "x", (1,), "int8", None),
               Tensor(1, "indices", encoded.shape, "uint8", None, encoded.copy()),
               Tensor(2, "ancillary", (len(ancillary),), "uint8", None, np.frombuffer(ancillary, np.uint8).copy()),
               Tensor(3, "w", values.shape, "int8", None)]
    return Graph("decode", "", tensors, [Operator(0, "CUSTOM:TFLM_DECODE", (1, 2), (3,))], [0], [3])


@pytest.mark.parametrize("bitwidth", range(1, 8))
@pytest.mark.parametrize("axis", [None, 0, 2])
def test_the_decode_kernel_restores_every_index_width_and_table_layout(bitwidth, axis):
    rng = np.random.default_rng(bitwidth)
    shape = (5, 7, 6)
    channels = 1 if axis is None else shape[axis]
    palettes = rng.integers(-128, 128, (channels, 2 ** bitwidth))
    which = rng.integers(0, 2 ** bitwidth, shape)
    channel = np.zeros(shape, int) if axis is None else np.indices(shape)[axis]
    values = palettes[channel, which].astype(np.int8)
    graph = decode_graph(values, axis, bitwidth)
    (out,) = run_compiled_on_host(compile_graph(graph), [np.zeros(1, np.int8)])
    assert np.array_equal(out, values)


@pytest.mark.parametrize("objective", ["flash", "latency"])  # decoded at run time; expanded at build time
def test_lut_models_match_tflm_on_the_host(lut_models, objective):
    from emu.model.oracle import tflm_outputs

    for values, plain, compressed in lut_models:
        for seed in range(4):
            x = random_int8((1, 9, 9, 3), seed)
            want = tflm_outputs(compressed, x)
            assert np.array_equal(want[0], tflm_outputs(plain, x)[0])  # the compression is lossless
            got = compile_and_run_on_host(compressed, x, objective=objective)
            assert np.array_equal(got[0], want[0]), f"{values} values, input {seed}"


def test_lut_flash_is_indices_and_tables_and_the_arena_holds_the_decoded_filter(lut_models):
    from emu.model.compressed import compressed_tensors

    _, plain, compressed = lut_models[4]  # 16 values: 4-bit indices
    graph = parse_model(compressed)
    tables = compressed_tensors(graph)
    packed = sum(graph.tensors[encoded].nbytes + lut.tables.nbytes for encoded, lut in tables.values())
    plain_compiled, compiled = compile_graph(parse_model(plain)), compile_graph(graph, objective="flash")
    untouched = plain_compiled.filter_bytes - sum(graph.tensors[t].nbytes for t in tables)
    assert compiled.filter_bytes == packed + untouched
    assert "lut4" in compiled.weight_format.split("+")
    # the largest decoded filter lives in the arena while its consumer runs
    assert compiled.arena_bytes >= max(graph.tensors[t].nbytes for t in tables)


def test_a_decode_type_emu_does_not_read_is_named():
    from emu.errors import EmuError
    from emu.model.compressed import lookup_table

    header = np.zeros(16 + 4, np.uint8)
    header[0], header[1] = 1, 1  # Huffman
    ancillary = Tensor(1, "a", (20,), "uint8", None, header)
    decoded = Tensor(2, "w", (2, 2), "int8", None)
    with pytest.raises(EmuError, match="decode type 1 \\(HUFFMAN\\) is not supported"):
        lookup_table(ancillary, decoded)


def test_one_table_for_a_tensor_quantized_per_channel_is_refused():
    """TFLM takes the channels from the quantization: one table would be read as eight."""
    from emu.errors import EmuError
    from emu.model.compressed import lookup_table
    from emu.model.graph import Quantization

    header = np.zeros(16 + 4, np.uint8)
    header[1], header[4], header[5], header[6] = 1, 1, (0xF << 4) | 2, 4
    ancillary = Tensor(1, "a", (20,), "uint8", None, header)
    decoded = Tensor(2, "w", (2, 4), "int8", Quantization((0.1, 0.2), (0, 0), 0))
    with pytest.raises(EmuError, match="quantized per channel along axis 0"):
        lookup_table(ancillary, decoded)


@needs_arm_gcc
@pytest.mark.parametrize("board", BOARDS)
def test_lut_model_matches_tflm_on_the_device(lut_models, board, tmp_path):
    from emu.results.measure import measure

    path = tmp_path / "lut.tflite"
    path.write_bytes(lut_models[4][2])
    result, _ = measure(path, get_platform(board), variant="clustered", objective="flash")
    assert "custom:tflm_decode/reference" in {layer.path for layer in result.layers}  # decoded on the device
    assert result.reference == "tflm" and result.output_matches_reference is True


# ---- sparse-bitmap filters of pruned weights ----------------------------------------------------

def pruned_int8_model(seed: int, sparsity: float) -> bytes:
    from emu.variants.int8_rewrite import pruned

    tf = modelgen.tf()
    L = tf.keras.layers
    model = modelgen.keras_model([L.Conv2D(12, 3, strides=2, padding="same", activation="relu"),
                                  L.Conv2D(16, 3, padding="valid", dilation_rate=1),
                                  L.Conv2D(20, 1, activation="relu6"), L.Reshape((4 * 4 * 20,)),
                                  L.Dense(9)], (11, 11, 5), seed=seed)
    return pruned(modelgen.to_int8(model, (11, 11, 5), seed=seed), sparsity)


@pytest.fixture(scope="module")
def sparse_models():
    return [pruned_int8_model(seed, sparsity) for seed, sparsity in enumerate((0.75, 0.8, 0.9, 0.97))]


def test_pruned_models_run_sparse_and_match_tflm_on_the_host(sparse_models):
    from emu.model.oracle import tflm_outputs

    for model in sparse_models:
        compiled = compile_graph(parse_model(model), objective="flash")
        assert {"emu_conv2d_sparse_s8", "emu_fully_connected_sparse_s8"} <= set(compiled.kernels)
        for seed in range(4):
            x = random_int8((1, 11, 11, 5), seed)
            assert np.array_equal(run_compiled_on_host(compiled, [x])[0], tflm_outputs(model, x)[0])


def test_sparse_flash_is_a_bit_per_weight_and_the_nonzero_weights():
    model = pruned_int8_model(7, 0.8)
    graph = parse_model(model)
    compiled = compile_graph(graph, objective="flash")
    expected = 0
    for op in graph.operators:
        if op.op in ("CONV_2D", "FULLY_CONNECTED"):
            w = graph.tensors[op.inputs[1]].data
            channels = w.shape[0]
            window = w.size // channels  # a bit per weight, a byte per 8 of each channel
            sparse = channels * -(-window // 8) + int(np.count_nonzero(w))
            expected += min(sparse, w.size)  # the flash objective takes the smaller form
    assert compiled.filter_bytes == expected
    assert compiled.weight_format.startswith("sparse-bitmap")


def test_half_zero_filters_stay_dense():
    compiled = compile_graph(parse_model(pruned_int8_model(8, 0.5)))
    assert compiled.weight_format == "int8"


@needs_arm_gcc
@pytest.mark.parametrize("board", BOARDS)
def test_pruned_model_matches_tflm_on_the_device(sparse_models, board, tmp_path):
    from emu.results.measure import measure

    path = tmp_path / "pruned.tflite"
    path.write_bytes(sparse_models[1])
    result, _ = measure(path, get_platform(board), variant="pruned", objective="flash")
    assert {layer.path for layer in result.layers} >= {"conv_2d/sparse", "fully_connected/sparse"}
    assert result.reference == "tflm" and result.output_matches_reference is True


# ---- the objective: dense, sparse, decoded or expanded, layer by layer --------------------------

def dense_pruned_and_clustered() -> dict[str, bytes]:
    """One int8 model (two convolutions and a dense layer), its weights pruned to 80% and to 95%
    zeros, and clustered to 16 values and LUT-compressed: the same shapes, four forms."""
    from emu.variants.compression import compress_few_valued
    from emu.variants.int8_rewrite import clustered, pruned

    tf = modelgen.tf()
    L = tf.keras.layers
    model = modelgen.keras_model([L.Conv2D(16, 3, padding="same", activation="relu"), L.Conv2D(16, 3),
                                  L.Reshape((6 * 6 * 16,)), L.Dense(10)], (8, 8, 8), seed=21)
    dense = modelgen.to_int8(model, (8, 8, 8), seed=21)
    return {"int8": dense, "pruned80": pruned(dense, 0.8), "pruned95": pruned(dense, 0.95),
            "clustered16": compress_few_valued(clustered(dense, 16))}


def filter_layers(result) -> list:
    return [layer for layer in result.layers if layer.op in ("CONV_2D", "FULLY_CONNECTED")]


@needs_arm_gcc
@pytest.mark.parametrize("board_name", ["nucleo-l4r5zi", "alif-e7-appkit"])  # the DSP and the Helium figures
def test_under_latency_pruned_and_clustered_are_never_slower_than_dense_int8(board_name, tmp_path):
    """Measured in one run on the M4F (and on the M55): each filter layer of the pruned and
    clustered forms takes no more cycles than the dense int8 model's same layer, and every output
    equals TFLM's. Under flash the same models take their smaller forms (sparse, decoded), which
    the first part shows the latency objective declined."""
    from emu.results.measure import measure

    board = get_platform(board_name)
    runs = {}
    for name, model in dense_pruned_and_clustered().items():
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(model)
        for objective in ("latency", "flash"):
            result, _ = measure(path, board, variant=name, objective=objective)
            assert result.output_matches_reference is True and result.reference == "tflm", (name, objective)
            assert result.objective == objective
            runs[name, objective] = result
    dense = filter_layers(runs["int8", "latency"])
    for name in ("pruned80", "pruned95", "clustered16"):
        fast = filter_layers(runs[name, "latency"])
        assert [layer.op for layer in fast] == [layer.op for layer in dense]
        for layer, plain in zip(fast, dense, strict=True):
            assert layer.cycles <= plain.cycles, (name, layer, plain)
            assert layer.choice.startswith("latency: ")
        assert runs[name, "latency"].cycles <= runs["int8", "latency"].cycles * 1.01  # other layers: data-dependent
        small = runs[name, "flash"]
        assert small.weight_bytes < runs[name, "latency"].weight_bytes
    sparse = filter_layers(runs["pruned80", "flash"])
    assert {layer.path for layer in sparse} == {"conv_2d/sparse", "fully_connected/sparse"}
    graph = parse_model(dense_pruned_and_clustered()["pruned80"])
    filters = [graph.tensors[op.inputs[1]] for op in graph.operators if op.op in ("CONV_2D", "FULLY_CONNECTED")]
    outputs = [graph.tensors[op.outputs[0]] for op in graph.operators if op.op in ("CONV_2D", "FULLY_CONNECTED")]
    # the sparse layers' MACs: each nonzero weight once per output pixel
    for layer, w, y in zip(sparse, filters, outputs, strict=True):
        assert layer.macs == int(np.count_nonzero(w.data)) * (y.size // w.shape[0])
    assert all(layer.weight_format == "lut4 decoded to RAM" for layer in filter_layers(runs["clustered16", "flash"]))


def test_latency_within_the_parts_flash_takes_the_smaller_forms_that_make_the_constants_fit():
    graph = parse_model(pruned_int8_model(5, 0.9))
    fast = compile_graph(graph, "optimized", objective="latency", core="cortex-m4")
    small = compile_graph(graph, "optimized", objective="flash", core="cortex-m4")
    dense = [layer.index for layer in fast.layers if layer.choice and not layer.path.endswith("sparse")]
    assert small.weight_bytes < fast.weight_bytes and dense  # latency keeps some layers dense
    fitted = compile_graph(graph, "optimized", objective="latency", core="cortex-m4", flash_bytes=fast.weight_bytes - 1)
    assert small.weight_bytes <= fitted.weight_bytes <= fast.weight_bytes - 1
    switched = [layer for layer in fitted.layers if layer.index in dense and layer.path.endswith("sparse")]
    assert switched and all(layer.choice.startswith("flash: ") for layer in switched)
    roomy = compile_graph(graph, "optimized", objective="latency", core="cortex-m4", flash_bytes=fast.weight_bytes)
    assert roomy.weight_bytes == fast.weight_bytes


def test_an_unknown_objective_is_refused_in_one_line():
    from emu.errors import EmuError

    with pytest.raises(EmuError, match=r"unknown objective 'fastest' for --optimize \(known: latency, flash, "):
        compile_graph(parse_model(pruned_int8_model(5, 0.8)), objective="fastest")


# ---- the variants' side: which filters are compressed, int8-only rewriting, the record -----------

def test_clustering_an_int8_file_gives_16_values_and_one_scale_per_filter():
    from emu.variants.int8_rewrite import clustered
    from emu.variants.weights import weight_tensors

    plain = few_valued_int8_model(11, 40)
    graph = parse_model(clustered(plain, 16))
    filters = list(weight_tensors(graph))
    assert filters
    for _, tensor, _ in filters:
        assert len(np.unique(tensor.data)) <= 16 and len(tensor.quantization.scale) == 1


def test_a_one_scale_filter_gets_one_table_and_a_per_channel_one_a_table_per_channel():
    from emu.variants.compression import lut_choices
    from emu.variants.int8_rewrite import clustered

    per_channel = lut_choices(parse_model(lut_models_plain(16)))
    assert per_channel and all(c.axis is not None for c in per_channel)
    one_scale = lut_choices(parse_model(clustered(lut_models_plain(40), 16)))
    assert one_scale and all(c.axis is None and c.bitwidth <= 4 for c in one_scale)


def lut_models_plain(values: int) -> bytes:
    return few_valued_int8_model(12, values)


def test_pruned_filters_are_left_to_the_sparse_form():
    from emu.variants.compression import compress_few_valued

    # 97 % zeros: few values per channel, but the bitmap form is smaller than any table
    assert compress_few_valued(pruned_int8_model(13, 0.97)) is None


def test_variant_records_without_the_weight_format_fields_still_read(tmp_path):
    import json

    from emu.variants.report import read_variants_json

    row = {"model": "m", "variant": "int8", "file": "int8/m.tflite", "kind": "classifier", "metric": "accuracy",
           "value": 0.5, "reference": "tflm", "confusion_matrix": None, "file_bytes": 1, "weight_count": 1,
           "weight_sparsity": 0.0, "unique_weight_values": 1, "weight_dtypes": ["int8"], "runs_on_device": True,
           "not_runnable_reason": None, "model_sha256": "0" * 64}
    (tmp_path / "variants.json").write_text(json.dumps({"task": {}, "variants": [row], "failed": []}))
    (record,) = read_variants_json(tmp_path)
    assert record.weight_format is None and record.weight_flash_bytes is None


def _lut_header(bitwidth=2, stride=4, values=(1, 2, 3, 4)):
    """TFLM's LUT ancillary data: a 16-byte header (decode type 0, version 1, LUT version 1,
    bit width and per-tensor axis 0xF, value-table stride), then the value table."""
    header = np.zeros(16, np.uint8)
    header[1], header[4], header[5], header[6] = 1, 1, (0xF << 4) | bitwidth, stride
    return np.concatenate([header, np.asarray(values, np.int8).view(np.uint8)])


@pytest.mark.parametrize("data, message", [
    (np.zeros(8, np.uint8), "shorter than its 16-byte header"),
    (_lut_header(bitwidth=0), "do not fit"),  # no index width
    (_lut_header(values=(1, 2)), "do not fit"),  # a table shorter than its stride
])
def test_a_malformed_lut_header_or_table_is_refused_in_one_line(data, message):
    from emu.errors import EmuError
    from emu.model.compressed import lookup_table

    ancillary = Tensor(1, "a", (data.size,), "uint8", None, data)
    with pytest.raises(EmuError, match=message) as e:
        lookup_table(ancillary, Tensor(2, "w", (2, 2), "int8", None))
    assert "\n" not in str(e.value)


def test_an_index_past_its_table_or_too_few_indices_are_refused():
    from emu.errors import EmuError
    from emu.model.compressed import decode, lookup_table

    lut = lookup_table(Tensor(1, "a", (19,), "uint8", None, _lut_header(bitwidth=2, stride=3, values=(1, 2, 3))),
                       Tensor(2, "w", (2, 2), "int8", None))
    past = Tensor(0, "e", (1,), "uint8", None, np.array([0b00011011], np.uint8))  # indices 0, 1, 2, 3
    with pytest.raises(EmuError, match=r"an index \(3\) is past its table of 3 values"):
        decode(past, lut, Tensor(2, "w", (2, 2), "int8", None))
    short = Tensor(0, "e", (0,), "uint8", None, np.zeros(0, np.uint8))
    with pytest.raises(EmuError, match="the packed indices hold 0 values, the tensor needs 4"):
        decode(short, lut, Tensor(2, "w", (2, 2), "int8", None))
