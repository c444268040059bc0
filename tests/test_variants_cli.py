"""`emu variants` on the command line: bad inputs are exit 2 with one line and no output."""

import json
import subprocess
import sys

import numpy as np
import pytest

# The real entry point, run in a child process.
ENTRY = "from emu.cli.app import main\nmain()\n"


def emu_variants(*args, cwd):
    return subprocess.run([sys.executable, "-c", ENTRY, "variants", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


def assert_one_line_error(result, pattern):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("emu: error:") and pattern in lines[-1], result.stderr
    assert "Traceback" not in result.stderr


def assert_nothing_written(folder):
    assert sorted(p.name for p in folder.iterdir()) == ["data.npz", "model.h5"]


@pytest.fixture
def dense_model(tmp_path):
    from emu.variants.keras2 import keras

    k = keras()
    k.Sequential([k.Input((6,)), k.layers.Dense(3, activation="softmax")]).save(tmp_path / "model.h5")
    return tmp_path / "model.h5"


def save_data(path, x_shape=(6,), arrays=("x_train", "y_train", "x_test", "y_test")):
    data = {"x_train": np.zeros((8, *x_shape), np.float32), "y_train": np.arange(8) % 3,
            "x_test": np.zeros((4, *x_shape), np.float32), "y_test": np.arange(4) % 3}
    np.savez(path, **{k: v for k, v in data.items() if k in arrays})


def test_data_without_the_arrays(tmp_path, dense_model):
    save_data(tmp_path / "data.npz", arrays=("x_train", "y_train"))
    result = emu_variants(dense_model, "--data", tmp_path / "data.npz", "--out", tmp_path / "out", cwd=tmp_path)
    assert_one_line_error(result, "lacks x_test, y_test")
    assert_nothing_written(tmp_path)


def test_shapes_that_do_not_match_the_model(tmp_path, dense_model):
    save_data(tmp_path / "data.npz", x_shape=(4,))
    result = emu_variants(dense_model, "--data", tmp_path / "data.npz", "--out", tmp_path / "out", cwd=tmp_path)
    assert_one_line_error(result, "x_train samples have shape (4) but model.h5 takes (6)")
    assert_nothing_written(tmp_path)


def singular_values(x):
    import tensorflow as tf  # inside, so the saved Lambda carries no module object

    return tf.linalg.svd(x)[0]  # SVD has no TFLite builtin operator


def test_model_that_cannot_be_converted(tmp_path):
    from emu.variants.keras2 import keras

    k = keras()
    svd = k.Sequential([k.Input((6,)), k.layers.Reshape((2, 3)), k.layers.Lambda(singular_values),
                        k.layers.Dense(3, activation="softmax")])
    svd.save(tmp_path / "model.h5")
    save_data(tmp_path / "data.npz")
    result = emu_variants(tmp_path / "model.h5", "--data", tmp_path / "data.npz", "--out", tmp_path / "out",
                          cwd=tmp_path)
    assert_one_line_error(result, "cannot convert")
    assert_nothing_written(tmp_path)


@pytest.mark.parametrize("args, pattern", [
    (["--task", "no-such-task"], "unknown task 'no-such-task'"),
    (["--task", "sine", "--variant", "int9"], "unknown variant 'int9'"),
    ([], "give MODEL.keras --data DATA.npz, or --task NAME"),
])
def test_bad_arguments(tmp_path, args, pattern):
    assert_one_line_error(emu_variants(*args, cwd=tmp_path), pattern)
    assert list(tmp_path.iterdir()) == []


def test_builtin_task_writes_the_chosen_variants(tmp_path):
    result = emu_variants("--task", "sine", "--variant", "int8", "--variant", "fp16", "--out", tmp_path / "sine",
                          cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "sine" / "variants.json").read_text())["variants"]
    assert [r["variant"] for r in rows] == ["fp16", "int8"]  # the standard order
    assert "fp16" in result.stdout and "int8" in result.stdout


def folder_bytes(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_variants_made_on_two_workers_equal_a_serial_run(tmp_path, dense_model):
    """The oracle is the serial run: each variant trained in its own worker process gives the
    same files, byte for byte, in the same order in variants.json."""
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "data.npz", x_train=rng.normal(size=(64, 6)).astype(np.float32), y_train=np.arange(64) % 3,
             x_test=rng.normal(size=(16, 6)).astype(np.float32), y_test=np.arange(16) % 3)
    runs = {}
    for jobs in ("1", "2"):
        result = emu_variants(dense_model, "--data", tmp_path / "data.npz", "-v", "fp32,int8,qat-int8,pruned50-int8",
                              "--jobs", jobs, "--out", tmp_path / f"jobs{jobs}", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        runs[jobs] = folder_bytes(tmp_path / f"jobs{jobs}")
    assert "4 variants on 2 worker processes" in result.stderr
    assert "[4/4]" in result.stderr
    assert runs["2"] == runs["1"]
    rows = json.loads(runs["2"]["variants.json"])["variants"]
    assert [r["variant"] for r in rows] == ["fp32", "int8", "qat-int8", "pruned50-int8"]


def test_a_task_that_fails_in_the_workers_is_one_error_and_nothing_written(tmp_path):
    from emu.errors import EmuError
    from emu.variants.make import make_variants
    from emu.variants.parallel import TaskSource

    source = TaskSource(model=tmp_path / "gone.keras", data=tmp_path / "gone.npz", kind="classifier")
    with pytest.raises(EmuError, match="gone.npz"):
        make_variants(source, tmp_path / "out", ["fp32", "int8"], progress=lambda m: None, workers=2)
    assert list(tmp_path.iterdir()) == []
