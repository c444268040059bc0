"""The measuring commands end to end: run, bench, build, bsp and profile."""

import json
import subprocess
import sys

import numpy as np
import pytest

from emu.model.oracle import tflm_outputs
from emu.model.reader import read_model
from emu.results.record import COLUMNS
from tests import modelgen
from tests.conftest import needs_arm_gcc

pytestmark = needs_arm_gcc


def emu(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "emu", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    tf = modelgen.tf()
    model = modelgen.keras_model([tf.keras.layers.Conv2D(4, 3, activation="relu"),
                                  tf.keras.layers.Reshape((4 * 4 * 4,)), tf.keras.layers.Dense(3)], (6, 6, 2))
    path = tmp_path_factory.mktemp("m") / "small.tflite"
    path.write_bytes(modelgen.to_int8(model, (6, 6, 2)))
    return path


def test_run_writes_the_tflm_output(small_model, tmp_path):
    x = modelgen.random_input(small_model.read_bytes(), seed=4)[0]
    np.save(tmp_path / "in.npy", x)
    result = emu("run", str(small_model), "-p", "nucleo-g0b1re", "--input", str(tmp_path / "in.npy"),
                 "--output", str(tmp_path / "out.npy"))
    assert result.returncode == 0, result.stderr
    got = np.load(tmp_path / "out.npy")
    np.testing.assert_array_equal(got, tflm_outputs(small_model.read_bytes(), [x])[0])


def test_run_rejects_an_input_of_the_wrong_shape(small_model, tmp_path):
    np.save(tmp_path / "in.npy", np.zeros((1, 5, 5, 2), np.int8))
    result = emu("run", str(small_model), "-p", "nucleo-g0b1re", "--input", str(tmp_path / "in.npy"),
                 "--output", str(tmp_path / "out.npy"))
    assert result.returncode == 2 and "has shape [1, 5, 5, 2], the model expects [1, 6, 6, 2] (int8)" in result.stderr
    assert not (tmp_path / "out.npy").exists()


def test_bench_writes_every_documented_field(small_model, tmp_path):
    result = emu("bench", str(small_model), "-p", "rp2040-pico", "-p", "ek-ra6m4",
                 "--json", str(tmp_path / "r.json"), "--csv", str(tmp_path / "r.csv"))
    assert result.returncode == 0, result.stderr
    records = json.loads((tmp_path / "r.json").read_text())
    assert [r["platform"] for r in records] == ["rp2040-pico", "ek-ra6m4"]
    graph = read_model(small_model)
    for r in records:
        assert set(COLUMNS) | {"layers"} <= set(r)
        assert r["output_matches_reference"] is True
        assert [layer["op"] for layer in r["layers"]] == [op.op for op in graph.operators]
        assert sum(layer["instructions"] for layer in r["layers"]) <= r["instructions"]
        # RAM = data + bss + arena (.noinit) + the measured stack, sections per arm-none-eabi-size
        out = tmp_path / r["platform"]
        assert emu("build", str(small_model), "-p", r["platform"], "--out", str(out)).returncode == 0
        size = subprocess.run(["arm-none-eabi-size", "-A", str(out / "firmware.elf")], capture_output=True,
                              text=True, check=True).stdout
        sections = {line.split()[0]: int(line.split()[1]) for line in size.splitlines()
                    if line.startswith(".") and len(line.split()) >= 2}
        static = sections.get(".data", 0) + sections.get(".bss", 0) + sections[".noinit"]
        assert r["stack_bytes"] > 0 and r["ram_bytes"] == static + r["stack_bytes"]
        assert r["latency_ms"] == pytest.approx(r["cycles"] / r["clock_hz"] * 1e3)
    header = (tmp_path / "r.csv").read_text().splitlines()[0].split(",")
    assert header == list(COLUMNS)


def test_build_writes_elf_and_build_json(small_model, tmp_path):
    result = emu("build", str(small_model), "-p", "disco-l475-iot01a", "--out", str(tmp_path / "b"))
    assert result.returncode == 0, result.stderr
    info = json.loads((tmp_path / "b" / "build.json").read_text())
    assert (tmp_path / "b" / "firmware.elf").read_bytes()[:4] == b"\x7fELF"
    assert [o["op"] for o in info["operators"]] == ["CONV_2D", "RESHAPE", "FULLY_CONNECTED"]
    assert info["arena_bytes"] > 0 and info["flash_bytes"] == (
        info["sections"]["text"] + info["sections"]["rodata"] + info["sections"]["data"])


def test_unsupported_operator_is_named_with_its_index(tmp_path):
    tf = modelgen.tf()
    # TOPK_V2: an operator the converter writes that emu does not lower (nor does TFLM register it)
    model = modelgen.keras_model([tf.keras.layers.Dense(4),
                                  tf.keras.layers.Lambda(lambda x: tf.math.top_k(x, k=2).values)], (3,))
    path = tmp_path / "top_k.tflite"
    path.write_bytes(modelgen.to_float(model))
    result = emu("build", str(path), "-p", "nucleo-l4r5zi", "--out", str(tmp_path / "b"))
    assert result.returncode == 2
    assert "unsupported operator TOPK_V2 at index 1" in result.stderr
    assert not (tmp_path / "b").exists()


# A user's own program, built with the files `emu bsp` writes. The measured part is in
# assembly so that its instructions can be counted by hand, whatever the compiler.
USER_MAIN = r"""
int run_test(void);
int main(void) { return run_test() == 4950 ? 0 : 1; }
"""
USER_ASM = r"""
    .syntax unified
    .thumb
    .text
    .global sum_to, work_done, run_test
    .type sum_to, %function
sum_to:                 @ r0 = n > 0: returns 0 + 1 + ... + (n - 1)
    movs r1, #0
    movs r2, #0
1:  adds r1, r1, r2
    adds r2, r2, #1
    cmp r2, r0
    bne 1b
    mov r0, r1
    bx lr
    .type work_done, %function
work_done:
    bx lr
    .type run_test, %function
run_test:
    push {r4, lr}
    movs r0, #100
    bl sum_to
    mov r4, r0
    bl work_done
    mov r0, r4
    pop {r4, pc}
"""


def test_profile_measures_a_user_elf_built_with_the_bsp(tmp_path):
    assert emu("bsp", "nucleo-l152re", "--out", str(tmp_path / "bsp")).returncode == 0
    (tmp_path / "main.c").write_text(USER_MAIN)
    (tmp_path / "work.S").write_text(USER_ASM)
    bsp = tmp_path / "bsp"
    elf = tmp_path / "app.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft", "-O1",
                    "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-T", str(bsp / "link.ld"),
                    str(bsp / "startup.c"), str(bsp / "semihost.c"), str(tmp_path / "main.c"),
                    str(tmp_path / "work.S"), "-o", str(elf)], check=True)
    result = emu("profile", str(elf), "-p", "nucleo-l152re", "--start", "sum_to", "--end", "work_done",
                 "--json", str(tmp_path / "p.json"))
    assert result.returncode == 0, result.stderr
    profile = json.loads((tmp_path / "p.json").read_text())
    functions = {f["name"]: f["instructions"] for f in profile["functions"]}
    # From sum_to's entry to work_done's: sum_to runs 2 + 4 x 100 (the loop) + 2 = 404
    # instructions; back in run_test, `mov r4, r0` and `bl work_done` run before the end: 2.
    assert functions == {"sum_to": 404, "run_test": 2}
    assert profile["instructions"] == 406
    assert profile["cycles"] >= profile["instructions"] and profile["stack_bytes"] > 0


WAITING_MAIN = """
__attribute__((noinline)) void wait_for_data(void)
{
    __asm__ volatile("cpsid i\\n\\twfi" ::: "memory");
}

int main(void)
{
    wait_for_data();
    return 0;
}
"""


def test_profile_stops_at_a_wfi_that_no_interrupt_can_end(tmp_path):
    # emu's bsp routes every interrupt to its fault handler, so this WFI would sleep forever.
    assert emu("bsp", "nucleo-l152re", "--out", str(tmp_path / "bsp")).returncode == 0
    (tmp_path / "main.c").write_text(WAITING_MAIN)
    bsp = tmp_path / "bsp"
    elf = tmp_path / "app.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft", "-O1",
                    "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-T", str(bsp / "link.ld"),
                    str(bsp / "startup.c"), str(bsp / "semihost.c"), str(tmp_path / "main.c"), "-o", str(elf)],
                   check=True)
    disassembly = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True,
                                 check=True).stdout
    wfi = next(int(line.split(":")[0], 16) for line in disassembly.splitlines() if "\twfi" in line)
    result = emu("profile", str(elf), "-p", "nucleo-l152re")
    assert result.returncode == 3, result.stderr
    assert (f"emu: error: firmware waits for an interrupt that cannot come (WFI at {wfi:#x} in wait_for_data)"
            in result.stderr.splitlines())


def test_doctor_boots_the_trace_plugin_on_the_installed_qemu():
    result = emu("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = {line.split()[1] + " " + line.split()[2]: line for line in result.stdout.splitlines()
             if len(line.split()) > 3}
    first = subprocess.run(["qemu-system-arm", "--version"], capture_output=True, text=True,
                           check=True).stdout.split()[3]
    expected_api = 1 if first.startswith(("7.", "8.")) else None
    assert lines["QEMU plugin"].startswith("ok ")
    assert f"QEMU {first} speaks plugin API" in lines["QEMU plugin"]
    if expected_api is not None:
        assert lines["QEMU plugin"].endswith(f"plugin API {expected_api}")
    assert lines["trace plugin"].startswith("ok ") and "loads and counts" in lines["trace plugin"]


def _empty_slice_model() -> bytes:
    """x[1, 4] -> STRIDED_SLICE to an empty [1, 0] -> CONCATENATION with x -> ADD x: 2x. TFLM's
    interpreter refuses it (it cannot allocate the empty tensor); emu runs it."""
    from ai_edge_litert import schema_py_generated as schema

    from tests.model_edits import pack

    model, graph = schema.ModelT(), schema.SubGraphT()
    model.version, model.buffers, graph.tensors, model.operatorCodes = 3, [schema.BufferT()], [], []

    def tensor(shape, kind=schema.TensorType.FLOAT32, data=None):
        buffer = schema.BufferT()
        buffer.data = None if data is None else np.frombuffer(data.tobytes(), np.uint8)
        model.buffers.append(buffer)
        t = schema.TensorT()
        t.shape, t.type, t.buffer = list(shape), kind, len(model.buffers) - 1
        graph.tensors.append(t)
        return len(graph.tensors) - 1

    def operator(code, inputs, outputs, options_type, options):
        c = schema.OperatorCodeT()
        c.builtinCode = c.deprecatedBuiltinCode = code
        c.version = 1
        model.operatorCodes.append(c)
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = len(model.operatorCodes) - 1, inputs, outputs
        op.builtinOptionsType, op.builtinOptions = options_type, options
        graph.operators.append(op)

    graph.operators = []
    x, empty, y, z = tensor((1, 4)), tensor((1, 0)), tensor((1, 4)), tensor((1, 4))
    bounds = [tensor((2,), schema.TensorType.INT32, np.array(v, np.int32)) for v in ([0, 2], [1, 2], [1, 1])]
    Op, Options = schema.BuiltinOperator, schema.BuiltinOptions
    operator(Op.STRIDED_SLICE, [x, *bounds], [empty], Options.StridedSliceOptions, schema.StridedSliceOptionsT())
    concat = schema.ConcatenationOptionsT()
    concat.axis = 1
    operator(Op.CONCATENATION, [x, empty], [y], Options.ConcatenationOptions, concat)
    operator(Op.ADD, [y, x], [z], Options.AddOptions, schema.AddOptionsT())
    graph.inputs, graph.outputs = [x], [z]
    model.subgraphs = [graph]
    return pack(model)


def test_run_says_when_the_reference_refused_the_model(tmp_path):
    model = tmp_path / "empty_slice.tflite"
    model.write_bytes(_empty_slice_model())
    x = np.array([[1.5, -2.0, 3.25, 0.0]], np.float32)
    np.save(tmp_path / "in.npy", x)
    with pytest.raises(RuntimeError):  # the oracle cannot check this one
        tflm_outputs(model.read_bytes(), [x])
    result = emu("run", str(model), "-p", "nucleo-g0b1re", "--input", str(tmp_path / "in.npy"),
                 "--output", str(tmp_path / "out.npy"))
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), 2 * x)
    assert result.stderr.strip() == ("emu: not checked: the reference interpreter refused the model "
                                     "(TFLM failed to allocate tensors)")


@pytest.fixture(scope="module")
def two_in_two_out(tmp_path_factory):
    tf = modelgen.tf()
    tf.keras.utils.set_random_seed(3)
    a, b = tf.keras.Input((6,), batch_size=1, name="a"), tf.keras.Input((3,), batch_size=1, name="b")
    trunk = tf.keras.layers.Dense(8, activation="relu")(tf.keras.layers.Concatenate()([a, b]))
    model = tf.keras.Model([a, b], [tf.keras.layers.Dense(4)(trunk), tf.keras.layers.Dense(2)(trunk)])
    path = tmp_path_factory.mktemp("m") / "two.tflite"
    path.write_bytes(modelgen.to_float(model))
    return path


def test_run_takes_an_input_and_an_output_per_tensor(two_in_two_out, tmp_path):
    xs = modelgen.random_input(two_in_two_out.read_bytes(), seed=2)
    args = ["run", str(two_in_two_out), "-p", "nucleo-l4r5zi"]
    for k, x in enumerate(xs):
        np.save(tmp_path / f"in{k}.npy", x)
        args += ["--input", str(tmp_path / f"in{k}.npy")]
    result = emu(*args, "--output", str(tmp_path / "y0.npy"), "--output", str(tmp_path / "y1.npy"))
    assert result.returncode == 0, result.stderr
    for k, want in enumerate(tflm_outputs(two_in_two_out.read_bytes(), xs)):
        np.testing.assert_allclose(np.load(tmp_path / f"y{k}.npy"), want, rtol=1e-5, atol=1e-6)

    one_output = emu(*args, "--output", str(tmp_path / "only.npy"))
    assert one_output.returncode == 2 and one_output.stderr.count("\n") == 1
    assert "has 2 outputs" in one_output.stderr and "give --output once for each" in one_output.stderr
    assert not (tmp_path / "only.npy").exists()
