"""The int16x8 variant (16-bit activations, 8-bit weights) of the built-in sine task: made by
`emu variants`, scored on the host with the TFLM interpreter, listed in the variants table,
and measured on a board, whose output must be TFLM's."""

import numpy as np
import pytest

from emu.cli.variants import format_variants
from emu.compile.codegen import compile_graph
from emu.compile.hostrun import run_compiled_on_host_many
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from emu.variants.builtin import builtin_task
from emu.variants.host import device_inputs
from emu.variants.make import make_variants
from tests.conftest import needs_arm_gcc
from tests.test_variants_tasks import quiet, records, tflm_values


@pytest.fixture(scope="module")
def sine(tmp_path_factory):
    task = builtin_task("sine", seed=0)
    out = tmp_path_factory.mktemp("v") / "sine"
    made = make_variants(task, out, ["int8", "int16x8"], progress=quiet)
    return task, out, made


def test_int16x8_variant_is_16x8_and_scored_with_tflm(sine):
    task, out, made = sine
    row = records(out)["int16x8"]
    assert row["file"] == "int16x8/sine.tflite" and row["runs_on_device"] is True and row["reference"] == "tflm"
    graph = parse_model((out / row["file"]).read_bytes())
    fcs = [op for op in graph.operators if op.op == "FULLY_CONNECTED"]
    assert fcs and {(graph.tensors[op.inputs[0]].dtype, graph.tensors[op.inputs[1]].dtype,
                     graph.tensors[op.outputs[0]].dtype) for op in fcs} == {("int16", "int8", "int16")}
    assert graph.tensors[graph.inputs[0]].dtype == "int16"
    predicted = tflm_values(out / row["file"], task.data.x_test)
    want = np.sqrt(np.mean((predicted.ravel() - task.data.y_test.ravel()) ** 2))
    assert row["metric"] == "rmse" and row["value"] == pytest.approx(want, rel=1e-6)
    assert row["value"] < 0.3  # predicting 0 gives about 0.72
    # 16-bit activations lose less than 8-bit ones: at least as close to int8's error
    assert row["value"] <= records(out)["int8"]["value"] * 1.05
    table = format_variants(made)
    assert [line.split()[0] for line in table.splitlines()[2:]] == ["int8", "int16x8"]


def test_int16x8_variant_compiles_to_what_tflm_computes(sine):
    task, out, _ = sine
    model = (out / "int16x8" / "sine.tflite").read_bytes()
    inputs = [[x] for x in device_inputs(parse_model(model), task.data.x_test[:16])]
    ours = run_compiled_on_host_many(compile_graph(parse_model(model)), inputs)
    for got, x in zip(ours, inputs, strict=True):
        np.testing.assert_array_equal(got[0], tflm_outputs(model, x)[0])


@needs_arm_gcc
def test_int16x8_variant_measures_on_a_board(sine):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    _, out, _ = sine
    result, _ = measure(out / "int16x8" / "sine.tflite", get_platform("nucleo-l4r5zi"), variant="int16x8")
    assert result.output_matches_reference is True
    assert result.variant == "int16x8" and result.cycles > 0
    # the M4F's optimized set has a 16x8 FULLY_CONNECTED kernel (emu/firmware/kernels/optimized/int16_dsp.c)
    assert {layer.path for layer in result.layers if layer.op == "FULLY_CONNECTED"} == {"fully_connected/dsp-s16"}
