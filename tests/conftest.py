import importlib
import importlib.util
import inspect
import os
import shutil
import types
from pathlib import Path

import pytest

SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def shared_model(name: str) -> Path:
    """A model from ../shared/models: an extra corpus, used when present."""
    path = SHARED_MODELS / name
    if not path.is_file():
        pytest.skip(f"{path} is not present (the shared corpus is optional)")
    return path


needs_arm_gcc = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                   reason="arm-none-eabi-gcc missing: run make setup")


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Tests build into their own cache so they never read a stale user build."""
    os.environ["EMU_CACHE"] = str(tmp_path_factory.mktemp("emu-cache"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A two-layer int8 model that builds and runs in a second or two."""
    from tests import modelgen

    tf = modelgen.tf()
    model = modelgen.keras_model([tf.keras.layers.Dense(8, activation="relu"), tf.keras.layers.Dense(3)], (5,), seed=7)
    path = tmp_path_factory.mktemp("tiny-model") / "tiny_int8.tflite"
    path.write_bytes(modelgen.to_int8(model, (5,)))
    return path


@pytest.fixture(scope="session")
def dense_models() -> dict[str, bytes]:
    """The hello_world network (1 -> 16 -> 16 -> 1, ReLU) converted to int8 and float32: tensor 0
    is the input, 9 the output, 7 and 8 activations, 1-6 constants; operators 0-2 are
    FULLY_CONNECTED (activation, weights, bias). In the float model tensor 2 is the last bias."""
    from tests import modelgen

    tf = modelgen.tf()
    keras = modelgen.keras_model([tf.keras.layers.Dense(16, activation="relu"),
                                  tf.keras.layers.Dense(16, activation="relu"),
                                  tf.keras.layers.Dense(1)], (1,))
    return {"int8": modelgen.to_int8(keras, (1,)), "float": modelgen.to_float(keras)}


# What each test needs beyond pure Python, as pytest markers, so the suite runs in parts
# (docs/testing.md): `pytest -m "not device and not tensorflow and not wheel"` needs neither
# the cross toolchain, QEMU, TensorFlow nor the package index. The marks are found from:
#   1. the marks a test carries: its own markers of NEEDS, and its skip marks (a test that
#      skips without a program needs it: needs_arm_gcc, say);
#   2. the code a test runs: its own, its fixtures', and the tests' helpers they call
#      (tests/modelgen.py's converter needs TensorFlow; shared_model() the shared models);
#   3. its module, for what neither shows (a firmware run through the `emu` command, say).
# `device` is added to anything needing the cross toolchain or QEMU. A test marked for a
# program or package that is not installed is skipped, saying what to install.
NEEDS = ("toolchain", "qemu", "tensorflow", "shared_models")
DEVICE = {"toolchain", "qemu"}

SKIP_REASON_NEEDS = {  # words in a skip reason -> what the test needs
    "arm-none-eabi": "toolchain",
    "qemu-system-arm": "qemu",
    "shared reference models": "shared_models",
    "every tool of emu.tools.TOOLS": "toolchain",
}

# Rule 3, per module: what the tests that need the toolchain need besides (they run the
# firmware they build; some train their model first) ...
TOOLCHAIN_TESTS_ALSO_NEED = {
    "test_cache_heal": {"qemu"},
    "test_commands": {"qemu"},
    "test_decide_cache": {"qemu"},
    "test_decide_gate": {"qemu"},
    "test_demo": {"qemu", "tensorflow"},       # the demo trains the digits model
    "test_device_ops": {"qemu"},
    "test_doctor": {"qemu"},                   # doctor boots the trace plugin in QEMU
    "test_end_to_end": {"qemu"},
    "test_export": {"qemu"},
    "test_fuzz_models": {"qemu"},
    "test_hostile_inputs": {"qemu"},
    "test_kernels_optimized": {"qemu"},
    "test_report_render": {"qemu"},
    "test_safe_writes": {"qemu"},
    "test_scenario": {"qemu", "tensorflow"},   # the coin-cell scenario trains the vibration model
    "test_sweep": {"qemu"},
    "test_timing_mve": {"qemu"},               # the documented Helium examples through `emu profile`
    "test_unmeasured_rows": {"qemu"},
    "test_validate": {"qemu", "tensorflow"},   # emu validate boots QEMU; the digits task is trained
}
# ... what single tests (or one parameter of a test) need that only their `emu` command shows ...
TEST_NEEDS = {
    "test_cli::test_bench_results_carry_the_variants_quality_into_recommend": {"toolchain", "qemu"},
    "test_export::test_version_and_export_errors": {"toolchain"},  # `emu export` looks for the compiler first
    "test_variants_tasks::test_a_functional_model_with_a_skip_connection_and_a_concatenation": {"toolchain", "qemu"},
    # an EMU_CACHE that cannot hold a build is found when the build is stored, after the compiler is looked for
    "test_hostile_files::test_hostile_file[env/EMU_CACHE/a-file]": {"toolchain"},
    "test_hostile_files::test_hostile_file[env/EMU_CACHE/under-proc]": {"toolchain"},
    "test_hostile_files::test_hostile_file[env/EMU_CACHE/full-disk]": {"toolchain"},
    "test_hostile_files::test_a_cache_on_a_really_full_disk_is_one_line": {"toolchain"},
}
# ... what the tests that use a fixture need ...
FIXTURE_NEEDS = {
    "test_hostile_system::benched": {"toolchain", "qemu"},  # `emu bench` fills the cache the output cases read
}
# ... and what every test of a module needs.
MODULE_NEEDS = {
    "test_runaway": {"toolchain", "qemu"},     # assembles tests/asm and runs it in QEMU
    "test_stateful_scoring": {"tensorflow"},   # the LSTM is trained and converted here
    "test_variants_cli": {"tensorflow"},       # making variants is TensorFlow's converter and training
    "test_variants_digits": {"tensorflow"},
    "test_variants_tasks": {"tensorflow"},
    "test_variants_units": {"tensorflow"},
    "test_weight_formats": {"tensorflow"},
}

TENSORFLOW_MODULES = {"tensorflow", "tf_keras", "tensorflow_model_optimization"}


def _codes(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _tests_function(value, module: str = "tests"):
    value = inspect.unwrap(value) if callable(value) else value  # through lru_cache and the like
    return isinstance(value, types.FunctionType) and value.__module__.startswith(module)


def _tests_module(name: str):
    """tests/<name>.py, imported if a function imports it only when it runs (as tiny_model does modelgen)."""
    if name.isidentifier() and (Path(__file__).parent / f"{name}.py").is_file():
        return importlib.import_module(f"tests.{name}")
    return None


def _test_helpers(function, names: set[str]):
    """The functions of the tests package that `function` refers to by these names."""
    for name in names:
        for holder in (function.__globals__.get(name), _tests_module(name)):
            if _tests_function(holder):
                yield inspect.unwrap(holder)
            elif isinstance(holder, types.ModuleType) and holder.__name__.startswith("tests."):
                for attr in names:
                    helper = getattr(holder, attr, None)
                    if _tests_function(helper, holder.__name__):
                        yield inspect.unwrap(helper)


_CODE_NEEDS: dict = {}


def code_needs(function) -> set[str]:
    """What a function of the tests needs, from the names its code (and the helpers it calls) uses."""
    if function in _CODE_NEEDS:
        return _CODE_NEEDS[function]
    _CODE_NEEDS[function] = needs = set()  # placed first: a helper may call back into its caller
    names = {name for code in _codes(function.__code__) for name in code.co_names}
    values = [function.__globals__.get(name) for name in names]
    if names & TENSORFLOW_MODULES or any(isinstance(v, types.ModuleType) and v.__name__.split(".")[0]
                                         in TENSORFLOW_MODULES for v in values):
        needs.add("tensorflow")
    if function.__module__ == __name__ and function.__name__ == "shared_model":
        needs.add("shared_models")
    for helper in _test_helpers(function, names):
        needs |= code_needs(helper)
    return needs


def needs_of(item) -> set[str]:
    needs = {mark.name for mark in item.iter_markers() if mark.name in NEEDS}
    for mark in item.iter_markers("skipif"):
        reason = mark.kwargs.get("reason", "")
        needs |= {need for words, need in SKIP_REASON_NEEDS.items() if words in reason}
    functions = [item.function] + [defs[-1].func for defs in item._fixtureinfo.name2fixturedefs.values()]
    for function in functions:
        if isinstance(function, types.FunctionType):
            needs |= code_needs(function)
    module = item.module.__name__.rpartition(".")[2]
    needs |= MODULE_NEEDS.get(module, set())
    for fixture in item.fixturenames:
        needs |= FIXTURE_NEEDS.get(f"{module}::{fixture}", set())
    for name in (item.originalname, item.name):  # the test, or one of its parameters
        needs |= TEST_NEEDS.get(f"{module}::{name}", set())
    if "toolchain" in needs:
        needs |= TOOLCHAIN_TESTS_ALSO_NEED.get(module, set())
    return needs


MISSING = {
    "toolchain": lambda: shutil.which("arm-none-eabi-gcc") is None,
    "qemu": lambda: shutil.which("qemu-system-arm") is None,
    "tensorflow": lambda: importlib.util.find_spec("tensorflow") is None,
}
HOW_TO_INSTALL = {
    "toolchain": "arm-none-eabi-gcc missing: run make setup",
    "qemu": "qemu-system-arm missing: run make setup",
    "tensorflow": "TensorFlow missing: pip install '.[variants]'",
}


def pytest_collection_modifyitems(config, items):
    missing = {need for need, is_missing in MISSING.items() if is_missing()}
    for item in items:
        needs = needs_of(item)
        if needs & DEVICE:
            needs.add("device")
        for need in sorted(needs):
            item.add_marker(need)
        for need in sorted(needs & missing):
            item.add_marker(pytest.mark.skip(reason=HOW_TO_INSTALL[need]))
