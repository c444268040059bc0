"""HARD_SWISH on 16-bit activations: TFLM has no kernel for it, and emu refuses it as TFLM does.

TFLM's hard_swish computes float32 and int8 only: its Prepare sets up the int8 rescales and its
Eval refuses every other type. TensorFlow's converter will not quantize HARD_SWISH to 16x8
either, which is why the zoo's mobilenet_v3_small has no int16x8 form (tests/test_model_zoo.py).
The int16 model here is therefore a converted int8 one with its activations' type edited to
int16. When a TFLM release runs it, the second test fails: the time to lower it, bit-exact
with that kernel, on the host and on the device.
"""

from __future__ import annotations

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from emu.compile.hostrun import compile_and_run_on_host
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from tests import model_edits, modelgen
from tests.test_ops_arith import converted
from tests.test_ops_misc import convert_calibrated


def test_the_converter_does_not_quantize_hard_swish_to_16x8():
    t = modelgen.tf()
    x = t.keras.Input(shape=(16,), batch_size=1, name="in0")
    model = t.keras.Model(x, t.keras.layers.Activation("hard_swish")(x))
    with pytest.raises(Exception, match="16x8-bit not yet supported for op: 'HARD_SWISH'"):
        convert_calibrated(model, [(16,)], "int16")


def _as_int16(m, g):
    """Every int8 tensor int16, on a scale 256 times finer and zero point 0 (the 16x8 rule)."""
    for tensor in g.tensors:
        if tensor.type == schema.TensorType.INT8:
            tensor.type = schema.TensorType.INT16
            tensor.quantization.scale = [s / 256 for s in tensor.quantization.scale]
            tensor.quantization.zeroPoint = [0] * len(tensor.quantization.zeroPoint)


def test_tflm_and_emu_refuse_an_int16_hard_swish():
    int8 = converted("hardswish", "int8")
    x8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    assert np.array_equal(compile_and_run_on_host(int8, [x8])[0], tflm_outputs(int8, [x8])[0])  # runs as int8

    int16 = model_edits.edited(int8, _as_int16)
    x16 = np.linspace(-32768, 32767, 256).astype(np.int16).reshape(1, 256)
    with pytest.raises(RuntimeError, match="invocation failed"):  # TFLM's Eval: "Unsupported type INT16"
        tflm_outputs(int16, [x16])
    with pytest.raises(EmuError, match="unsupported operator HARD_SWISH .*int16 -> int16"):
        compile_and_run_on_host(int16, [x16])
