"""The .tflite reader, checked against the TFLM interpreter's own view of the same files
and against the Keras layers the test models were converted from."""

import numpy as np
import pytest

from emu.errors import EmuError
from emu.model.reader import parse_model, read_model
from tests import modelgen
from tests.conftest import shared_model


@pytest.mark.parametrize("name", ["hello_world_int8", "micro_speech_quantized", "person_detect"])
def test_inputs_and_outputs_agree_with_tflm(name):
    from tflite_micro.python.tflite_micro import runtime

    path = shared_model(f"{name}.tflite")
    graph = read_model(path)
    interpreter = runtime.Interpreter.from_bytes(path.read_bytes(), arena_size=1 << 20)
    for details, index in ((interpreter.get_input_details(0), graph.inputs[0]),
                           (interpreter.get_output_details(0), graph.outputs[0])):
        t = graph.tensors[index]
        assert list(t.shape) == list(details["shape"])
        assert np.dtype(t.dtype) == np.dtype(details["dtype"])
        q = details["quantization_parameters"]
        assert np.allclose(t.quantization.scale, q["scales"])
        assert list(t.quantization.zero_point) == list(q["zero_points"])


def test_person_detect_depthwise_filters_are_quantized_along_axis_3():
    # TFLite quantization spec: depthwise filters [1, H, W, C] carry one scale per channel
    # along quantized_dimension 3; conv filters [O, H, W, I] along dimension 0.
    graph = read_model(shared_model("person_detect.tflite"))
    for op in graph.operators:
        if op.op in ("DEPTHWISE_CONV_2D", "CONV_2D"):
            weights = graph.tensors[op.inputs[1]]
            axis = 3 if op.op == "DEPTHWISE_CONV_2D" else 0
            assert weights.quantization.axis == axis
            assert len(weights.quantization.scale) == weights.shape[axis]


@pytest.fixture(scope="module")
def conv_model():
    tf = modelgen.tf()
    model = modelgen.keras_model(
        [tf.keras.layers.Conv2D(4, (3, 5), strides=(2, 1), padding="same", activation="relu6")],
        (9, 7, 3))
    return modelgen.to_int8(model, (9, 7, 3))


def test_conv_options_match_the_keras_layer(conv_model):
    graph = parse_model(conv_model)
    conv = [op for op in graph.operators if op.op == "CONV_2D"][0]
    assert conv.options["padding"] == "SAME"
    assert (conv.options["stride_h"], conv.options["stride_w"]) == (2, 1)
    assert conv.options["fused_activation_function"] == "RELU6"
    weights = graph.tensors[conv.inputs[1]]
    assert weights.shape == (4, 3, 5, 3)  # OHWI, as TFLite stores filters
    assert weights.quantization.per_channel and len(weights.quantization.scale) == 4
    assert weights.data.dtype == np.int8 and weights.data.shape == weights.shape
    bias = graph.tensors[conv.inputs[2]]
    assert bias.dtype == "int32"


def test_not_a_model_is_one_line_error(tmp_path):
    path = tmp_path / "x.tflite"
    path.write_bytes(b"hello, this is not a model at all")
    with pytest.raises(EmuError, match="not a TensorFlow Lite model"):
        read_model(path)


def test_truncated_model_is_one_line_error(conv_model):
    with pytest.raises(EmuError, match="truncated or corrupted") as info:
        parse_model(conv_model[: len(conv_model) // 3], name="cut")
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(EmuError, match="not found"):
        read_model(tmp_path / "absent.tflite")


# ---- tensor types, against the schema the converter itself uses -------------------------


def _with_tensor_type(model: bytes, pick, type_name: str) -> bytes:
    """The model re-packed by TensorFlow's own flatbuffer schema with one tensor's type changed."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    m = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    tensor = pick(m.subgraphs[0])
    tensor.type = getattr(schema.TensorType, type_name)
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _bias(subgraph):
    conv = [op for op in subgraph.operators if len(op.inputs) == 3][0]
    return subgraph.tensors[conv.inputs[2]]


def test_every_numeric_schema_type_reads_as_its_numpy_type():
    import tflite

    from emu.model.reader import _TENSOR_TYPES

    schema_names = {v: k for k, v in vars(tflite.TensorType).items() if isinstance(v, int)}
    for value, dtype in _TENSOR_TYPES.items():
        assert np.dtype(dtype).name == schema_names[value].lower()
    assert {"uint16", "uint32", "uint64"} <= set(_TENSOR_TYPES.values())


def test_uint32_constant_is_read_not_refused(conv_model):
    graph = parse_model(_with_tensor_type(conv_model, _bias, "UINT32"))
    bias = [t for t in graph.tensors if t.dtype == "uint32"]
    assert len(bias) == 1 and bias[0].data.dtype == np.uint32 and bias[0].data.shape == (4,)
    int32 = parse_model(conv_model).tensors[bias[0].index].data
    assert bias[0].data.tobytes() == int32.tobytes()


def test_uint16_activation_is_read_not_called_corrupted(conv_model):
    graph = parse_model(_with_tensor_type(conv_model, lambda g: g.tensors[g.inputs[0]], "UINT16"))
    assert graph.tensors[graph.inputs[0]].dtype == "uint16"


def test_int4_tensor_is_named_not_called_corrupted(conv_model):
    with pytest.raises(EmuError, match="type INT4, which emu does not support") as info:
        parse_model(_with_tensor_type(conv_model, _bias, "INT4"), name="m")
    assert "truncated" not in str(info.value)


def test_buffer_of_the_wrong_size_is_a_one_line_error(conv_model):
    # int64 needs twice the bytes the int32 bias buffer holds
    with pytest.raises(EmuError, match="buffer holds 16 bytes, but shape \\[4\\] of int64 needs 32"):
        parse_model(_with_tensor_type(conv_model, _bias, "INT64"), name="m")
