"""Models of several subgraphs (WHILE, IF, CALL_ONCE) and resource variables (VAR_HANDLE,
READ_VARIABLE, ASSIGN_VARIABLE), compiled by emu for the host and run against the TFLM
interpreter: float32 within 1e-5 relative, integers exactly.

The models are TensorFlow's: Keras 3's LSTM and GRU (not unrolled, they convert to a WHILE
over a condition and a body subgraph), tf.while_loop, tf.cond and a tf.Variable assigned on
every call (CALL_ONCE runs the subgraph that gives it its first value). State is checked over
a sequence of inferences in one TFLM interpreter and one host process, and through TFLM's
Reset(): variables back to their zero point, CALL_ONCE not run again.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import model_zoo
from emu.compile.codegen import compile_graph
from emu.compile.hostrun import run_compiled_on_host_sequence
from emu.errors import EmuError
from emu.model.oracle import DEFAULT_ARENA
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc

pytestmark = pytest.mark.tensorflow


def tflm_sequence(model: bytes, sequence: list[list[np.ndarray]], reset: bool = False) -> list[list[np.ndarray]]:
    """TFLM's outputs for a sequence of inferences by one interpreter, Reset() before each but
    the first when `reset` (emu's oracle resets before every inference; a sequence is what
    shows state kept between them)."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=DEFAULT_ARENA)
    count = len(parse_model(model).outputs)
    outputs = []
    for k, inputs in enumerate(sequence):
        if reset and k:
            interpreter.reset()
        for i, x in enumerate(inputs):
            interpreter.set_input(x, i)
        interpreter.invoke()
        outputs.append([np.array(interpreter.get_output(i)) for i in range(count)])
    return outputs


def assert_equal_to_tflm(model: bytes, sequence: list[list[np.ndarray]], reset: bool = False):
    compiled = compile_graph(parse_model(model))
    want = tflm_sequence(model, sequence, reset)
    got = run_compiled_on_host_sequence(compiled, sequence, reset)
    for step, (ours, theirs) in enumerate(zip(got, want, strict=True)):
        for a, b in zip(ours, theirs, strict=True):
            b = b.reshape(a.shape)
            if a.dtype.kind == "f":
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=f"inference {step}")
            else:
                np.testing.assert_array_equal(a, b, err_msg=f"inference {step}")
    return compiled, want


def _convert(module) -> bytes:
    tf = modelgen.tf()
    function = module.__call__.get_concrete_function()
    return tf.lite.TFLiteConverter.from_concrete_functions([function], module).convert()


def _floats(rng, shape):
    return rng.uniform(-1.0, 1.0, shape).astype(np.float32)


# ---- WHILE: Keras recurrent layers ---------------------------------------------------------


@pytest.fixture(scope="module")
def converter():
    convert = model_zoo.Converter()  # TensorFlow's converter in a process of its own
    yield convert
    convert.close()


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_keras_recurrent_layers_run_as_a_loop_equal_to_tflm(converter, name):
    model, floats = converter(name, "float32")
    graph = parse_model(model)
    assert [op.op for op in graph.operators].count("WHILE") == 1 and graph.subgraph_count == 3
    rng = np.random.default_rng(1)
    sequence = [[floats[0]], *([_floats(rng, floats[0].shape)] for _ in range(2))]
    compiled, _ = assert_equal_to_tflm(model, sequence)
    # the loop is one layer of the main subgraph: it counts the work of all its iterations
    assert [(layer.op, layer.path) for layer in compiled.layers if layer.op == "WHILE"] == [
        ("WHILE", "while/subgraphs")]


def test_an_lstm_building_its_output_sequence_in_the_loop_is_refused_in_one_line(converter):
    """Keras' LSTM with return_sequences writes step i of its output sequence inside the loop as
    CONCATENATION(SLICE(sequence, 0, [i, 1, 8]), h, SLICE(sequence, i + 1, to the end)); the
    converter declares the two slices [1, 1, 1] and [1, 1, 8]. TFLM neither resizes them nor
    bounds its copy by them, so it writes past their buffers and concatenates only the declared
    17 of 80 values: its outputs are not the layer's (LiteRT's interpreter, which resizes
    tensors at run time, gives the layer's). emu refuses the first such slice."""
    from ai_edge_litert.interpreter import Interpreter

    from emu.model.oracle import tflm_outputs

    model, floats = converter("lstm_sequence", "float32")
    litert = Interpreter(model_content=model)
    litert.allocate_tensors()
    x = np.asarray(floats[0], np.float32).reshape(litert.get_input_details()[0]["shape"])
    litert.set_tensor(litert.get_input_details()[0]["index"], x)
    litert.invoke()
    layer = litert.get_tensor(litert.get_output_details()[0]["index"])
    theirs = np.asarray(tflm_outputs(model, [x])[0]).reshape(layer.shape)
    assert not np.allclose(theirs, layer, rtol=1e-3, atol=1e-3)
    with pytest.raises(EmuError, match=r"SLICE.*a size computed at run time .*declared \[1, 1, 1\]") as refused:
        compile_graph(parse_model(model))
    assert "\n" not in str(refused.value)


def test_simple_rnn_not_unrolled_runs_as_a_loop_equal_to_tflm():
    tf = modelgen.tf()
    model = modelgen.to_float(modelgen.keras_model([tf.keras.layers.SimpleRNN(6), tf.keras.layers.Dense(2)], (5, 3)))
    assert "WHILE" in [op.op for op in parse_model(model).operators]
    rng = np.random.default_rng(2)
    assert_equal_to_tflm(model, [[_floats(rng, (1, 5, 3))] for _ in range(2)])


# ---- WHILE and IF: tf.while_loop and tf.cond -----------------------------------------------


def _loop_model() -> bytes:
    """A loop run n times (n a model input, 0 included), whose body takes one of two branches
    by the iteration's number: an IF inside the WHILE's body."""
    tf = modelgen.tf()

    class Loop(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32), tf.TensorSpec([], tf.int32)])
        def __call__(self, x, n):
            def body(i, x):
                x = tf.cond(i < 2, lambda: tf.tanh(x * 1.5 + 0.25), lambda: x * 0.5 - 0.125)
                return i + 1, x

            _, y = tf.while_loop(lambda i, x: i < n, body, [tf.constant(0), x])
            return y

    return _convert(Loop())


def test_a_while_loop_with_a_branch_in_its_body_equals_tflm():
    model = _loop_model()
    graph = parse_model(model)
    assert sorted(op.op for op in graph.all_operators if op.op in ("WHILE", "IF")) == ["IF", "WHILE"]
    rng = np.random.default_rng(3)
    x = _floats(rng, (1, 4))
    # no iteration (the WHILE's outputs are its inputs), one through the first branch, and both
    sequence = [[x, np.int32(0)], [x, np.int32(1)], [_floats(rng, (1, 4)), np.int32(5)]]
    _, want = assert_equal_to_tflm(model, sequence)
    np.testing.assert_array_equal(want[0][0].reshape(x.shape), x)
    assert not np.allclose(want[1][0], want[2][0])


def _branch_model() -> bytes:
    tf = modelgen.tf()

    class Branch(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.bool), tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, pred, x):
            return tf.cond(pred, lambda: tf.tanh(x * 1.5) - 0.5, lambda: tf.nn.relu(x) * 2.0)

    return _convert(Branch())


def test_if_takes_the_branch_its_condition_names_equal_to_tflm():
    model = _branch_model()
    assert "IF" in [op.op for op in parse_model(model).operators]
    rng = np.random.default_rng(4)
    x = _floats(rng, (1, 4))
    _, want = assert_equal_to_tflm(model, [[np.bool_(True), x], [np.bool_(False), x]])
    assert not np.allclose(want[0][0], want[1][0])  # the two branches compute different things


def test_int32_add_a_loop_counts_with_equals_tflm():
    # a loop's counter is an int32 ADD; here with broadcasting of both inputs and large values
    tf = modelgen.tf()

    class Add(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([2, 1, 4], tf.int32), tf.TensorSpec([3, 1], tf.int32)])
        def __call__(self, a, b):
            return a + b

    model = _convert(Add())
    graph = parse_model(model)
    assert [op.op for op in graph.operators] == ["ADD"]
    rng = np.random.default_rng(8)
    inputs = [rng.integers(-2**30, 2**30, graph.tensors[t].shape, dtype=np.int32) for t in graph.inputs]
    assert_equal_to_tflm(model, [inputs])


# ---- resource variables and CALL_ONCE ------------------------------------------------------


def _accumulator():
    """A state kept in a tf.Variable (first value 0.5, given by the CALL_ONCE subgraph), read and
    assigned on every call."""
    tf = modelgen.tf()

    class Accumulator(tf.Module):
        def __init__(self):
            self.state = tf.Variable(tf.fill([1, 4], 0.5))

        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            y = self.state * 0.5 + x
            self.state.assign(y)
            return y

    return Accumulator()


def _variable_model() -> bytes:
    return _convert(_accumulator())


def test_a_resource_variable_keeps_its_value_across_inferences_as_in_tflm():
    model = _variable_model()
    graph = parse_model(model)
    assert graph.stateful and {"CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"} <= {
        op.op for op in graph.all_operators}
    rng = np.random.default_rng(5)
    sequence = [[_floats(rng, (1, 4))] for _ in range(3)]
    _, want = assert_equal_to_tflm(model, sequence)
    # the state carried: the first inference starts from the CALL_ONCE's 0.5, each next from the last output
    np.testing.assert_allclose(want[0][0], 0.25 + sequence[0][0], rtol=1e-6)
    np.testing.assert_allclose(want[1][0], want[0][0] * 0.5 + sequence[1][0], rtol=1e-6)


def test_reset_clears_a_resource_variable_and_does_not_run_call_once_again_as_in_tflm():
    model = _variable_model()
    rng = np.random.default_rng(6)
    sequence = [[_floats(rng, (1, 4))] for _ in range(3)]
    _, want = assert_equal_to_tflm(model, sequence, reset=True)
    # after TFLM's Reset() the variable is 0, not the 0.5 the init subgraph gave it once
    np.testing.assert_allclose(want[1][0], sequence[1][0], rtol=1e-6)


def test_an_int32_counter_and_an_int8_model_keep_state_exactly_as_tflm():
    tf = modelgen.tf()

    class Counter(tf.Module):
        def __init__(self):
            self.count = tf.Variable(7)

        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            self.count.assign_add(3)
            return x * 2.0, self.count.read_value()

    model = _convert(Counter())
    rng = np.random.default_rng(9)
    sequence = [[_floats(rng, (1, 4))] for _ in range(3)]
    def counts(outputs):
        return [int(np.ravel(o)[0]) for out in outputs for o in out if o.dtype == np.int32]

    _, want = assert_equal_to_tflm(model, sequence)
    assert counts(want) == [10, 13, 16]  # from 7, the CALL_ONCE's value, counted up
    _, want = assert_equal_to_tflm(model, sequence, reset=True)
    assert counts(want) == [10, 3, 3]  # Reset(): 0, and no CALL_ONCE again

    # full-integer quantization computes in int8 between QUANTIZE and DEQUANTIZE; the variable stays float
    accumulator = _accumulator()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([accumulator.__call__.get_concrete_function()],
                                                                accumulator)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([_floats(rng, (1, 4))] for _ in range(16))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    quantized = converter.convert()
    graph = parse_model(quantized)
    int8 = {op.op for op in graph.operators if op.outputs and graph.tensors[op.outputs[0]].dtype == "int8"}
    assert {"MUL", "ADD"} <= int8
    assert_equal_to_tflm(quantized, sequence)
    assert_equal_to_tflm(quantized, sequence, reset=True)


def test_a_variable_read_but_never_assigned_is_refused_in_one_line():
    from tests.model_edits import edited

    def drop_the_init_subgraphs_operators(m, main):  # its ASSIGN_VARIABLE is what gives the variable memory
        m.subgraphs[1].operators = []

    broken = edited(_variable_model(), drop_the_init_subgraphs_operators)
    graph = parse_model(broken)
    assert [op.op for op in graph.operators].count("ASSIGN_VARIABLE") == 1  # the main one assigns after reading
    compile_graph(graph)  # the main subgraph's assignment still sizes it: compiles
    no_assign = edited(broken, lambda m, main: setattr(main, "operators", main.operators[:-1]))
    with pytest.raises(EmuError, match="resource variable 'Variable' is read but never assigned"):
        compile_graph(parse_model(no_assign))


# ---- on the device: one inference from boot ------------------------------------------------


def _stateful_loop_model() -> bytes:
    """Every construct at once: a tf.Variable (CALL_ONCE, VAR_HANDLE, READ_VARIABLE,
    ASSIGN_VARIABLE) that seeds a WHILE loop whose body takes one of two branches (IF)."""
    tf = modelgen.tf()

    class StatefulLoop(tf.Module):
        def __init__(self):
            self.state = tf.Variable(tf.fill([1, 4], 0.25))

        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            def body(i, h):
                h = tf.cond(i < 2, lambda: tf.tanh(h * 1.5 + x), lambda: h * 0.5 - 0.125)
                return i + 1, h

            _, h = tf.while_loop(lambda i, h: i < 4, body, [tf.constant(0), self.state + x])
            self.state.assign(h)
            return h

    return _convert(StatefulLoop())


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi"])  # Cortex-M0+ (soft float), M4F
def test_control_flow_and_a_variable_match_tflm_on_the_device(board, tmp_path):
    path = tmp_path / "stateful_loop.tflite"
    path.write_bytes(_stateful_loop_model())
    graph = parse_model(path.read_bytes())
    assert {"WHILE", "IF", "CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"} <= {
        op.op for op in graph.all_operators}
    result, _ = measure(path, get_platform(board), variant="float32")
    assert result.output_matches_reference is True and result.reference == "tflm"
    # one layer per operator of the main subgraph (the firmware marked each exactly once), the
    # loop's layer holding the cycles of its subgraphs' operators over all iterations
    layers = {layer.op: layer for layer in result.layers}
    assert [layer.op for layer in result.layers] == [layer.op for layer in compile_graph(graph).layers]
    assert layers["WHILE"].cycles > max(layer.cycles for layer in result.layers if layer.op != "WHILE")


# ---- the model's call graph ----------------------------------------------------------------


def _with_if_options(model: bytes, then: int, other: int) -> bytes:
    from tests.model_edits import edited

    def change(m, main):
        options = next(op.builtinOptions for op in main.operators if hasattr(op.builtinOptions, "thenSubgraphIndex"))
        options.thenSubgraphIndex, options.elseSubgraphIndex = then, other

    return edited(model, change)


def test_a_subgraph_two_operators_run_equals_tflm():
    model = _branch_model()
    graph = parse_model(model)
    (branch,) = [op for op in graph.operators if op.op == "IF"]
    other = branch.options["else_subgraph_index"]
    both = _with_if_options(model, other, other)  # both branches run the else subgraph: its tensors serve both
    x = _floats(np.random.default_rng(7), (1, 4))
    _, want = assert_equal_to_tflm(both, [[np.bool_(True), x], [np.bool_(False), x]])
    np.testing.assert_array_equal(want[0][0], want[1][0])


@pytest.mark.parametrize("then, message", [(0, "subgraph 0 runs itself"), (9, "runs subgraph 9, but the model has 3")])
def test_a_subgraph_that_runs_itself_or_does_not_exist_is_refused_in_one_line(then, message):
    model = _with_if_options(_branch_model(), then, 1)
    with pytest.raises(EmuError, match=message) as info:
        parse_model(model)
    assert "\n" not in str(info.value)
