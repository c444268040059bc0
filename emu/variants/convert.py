"""tf_keras model -> .tflite bytes, in each numeric form: float32, float16 weights,
dynamic-range int8, full-integer int8 with int8 inputs and outputs, and 16x8 (int16
activations, int8 weights) with int16 inputs and outputs.

A model with several outputs keeps them in the Keras model's order: the converter orders a
subgraph's outputs its own way (not the function's), so they are put back in the order of
the function's outputs (its signature's output_0, output_1, ...), which TFLM and the device
then follow.

Every model is converted for batch size 1: with all shapes static the converter folds the
shape arithmetic a variable batch needs (SHAPE, STRIDED_SLICE, PACK) into constants, which
is what a microcontroller should run.
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np

from emu.console import native_output_silenced
from emu.errors import EmuError
from emu.variants import flatbuffer
from emu.variants.keras2 import tensorflow
from emu.variants.messages import tf_first_line


def float32(model) -> bytes:
    return convert(model, "float32", lambda converter: None)


def float16(model) -> bytes:
    def configure(converter):
        tf = tensorflow()
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]

    return convert(model, "float16", configure)


def dynamic_range_int8(model) -> bytes:
    """int8 weights, float activations: the 'hybrid' form, no calibration data needed."""
    def configure(converter):
        converter.optimizations = [tensorflow().lite.Optimize.DEFAULT]

    return convert(model, "dynamic-range int8", configure)


def _representative(calibration: np.ndarray):
    def samples():
        for x in calibration:
            yield [x[None].astype(np.float32)]

    return samples


def full_int8(model, calibration: np.ndarray, per_channel: bool = True) -> bytes:
    """Every tensor int8, ranges taken from representative inputs (or from QAT's fake-quant).
    per_channel=False gives each weight tensor one scale, so weights that share a few float
    values (clustered) share as few int8 values across the whole tensor."""
    def configure(converter):
        tf = tensorflow()
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative(calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        if not per_channel:
            converter._experimental_disable_per_channel = True

    return convert(model, "full int8", configure)


def int16x8(model, calibration: np.ndarray) -> bytes:
    """Activations int16 (zero point 0) and weights int8, with int64 biases: TFLite's 16x8
    quantization, ranges from representative inputs like full_int8's; inputs and outputs int16."""
    def configure(converter):
        tf = tensorflow()
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative(calibration)
        ops = tf.lite.OpsSet
        converter.target_spec.supported_ops = [ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        converter.inference_input_type = tf.int16
        converter.inference_output_type = tf.int16

    return convert(model, "int16x8", configure)


def convert(model, form: str, configure: Callable) -> bytes:
    tf = tensorflow()
    try:
        spec = tf.TensorSpec((1, *model.inputs[0].shape[1:]), tf.float32)
        function = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
        converter = tf.lite.TFLiteConverter.from_concrete_functions([function], model)
        configure(converter)
        with native_output_silenced():
            converted = converter.convert()
    except Exception as e:  # the converter raises many types; the user needs its first line
        raise EmuError(f"cannot convert to TFLite as {form}: {tf_first_line(e)}") from None
    return converted if len(model.outputs) == 1 else outputs_in_function_order(converted)


def outputs_in_function_order(model_bytes: bytes) -> bytes:
    """The main subgraph's outputs in the order of the signature's output_<i> names."""
    model = flatbuffer.read(model_bytes)
    (signature,) = [s for s in model.signatureDefs if s.subgraphIndex == 0]
    named = {m.name.decode(): m.tensorIndex for m in signature.outputs}
    if any(not re.fullmatch(r"output_\d+", name) for name in named):
        raise EmuError(f"cannot tell the order of the converted model's outputs (named {', '.join(named)})")
    order = sorted(named, key=lambda name: int(name.rsplit("_", 1)[1]))
    subgraph = model.subgraphs[0]
    wanted = [named[name] for name in order]
    if sorted(wanted) != sorted(int(t) for t in subgraph.outputs):
        raise EmuError("the converted model's signature names other tensors than its outputs")
    subgraph.outputs = wanted
    return flatbuffer.write(model)
