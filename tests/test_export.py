"""`emu export`: the measured model as sources that build on their own, for the board and on
the host, and compute what the TFLM interpreter computes."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

from emu.link.firmware import COMMON_FLAGS
from emu.model.oracle import tflm_outputs
from emu.platforms import get_platform
from tests.conftest import needs_arm_gcc, shared_model

# A program of the user's: the exported header tells it where the input and output live.
USER_MAIN = r"""
#include <stdio.h>
#include "emu_model_io.h"
int main(int argc, char **argv)
{
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(emu_arena + EMU_MODEL_INPUT0_OFFSET, 1, EMU_MODEL_INPUT0_BYTES, f) != EMU_MODEL_INPUT0_BYTES)
        return 3;
    fclose(f);
    emu_model_run();
    f = fopen(argv[2], "wb");
    fwrite(emu_arena + EMU_MODEL_OUTPUT0_OFFSET, 1, EMU_MODEL_OUTPUT0_BYTES, f);
    fclose(f);
    return 0;
}
"""


def emu(*args):
    return subprocess.run([sys.executable, "-m", "emu", *args], capture_output=True, text=True, timeout=600)


@needs_arm_gcc
@pytest.mark.parametrize("name", ["hello_world_int8.tflite", "micro_speech_quantized.tflite"])
def test_exported_sources_build_alone_and_match_tflm(name, tmp_path):
    model = shared_model(name)
    out = tmp_path / "export"
    result = emu("export", str(model), "-p", "nucleo-l4r5zi", "--out", str(out))
    assert result.returncode == 0, result.stderr
    sources = sorted(str(p) for p in out.glob("*.c"))
    assert str(out / "model.c") in sources and (out / "emu_model_io.h").is_file()

    # For the board, with the flags emu built it with: every exported file compiles on its own.
    board = get_platform("nucleo-l4r5zi")
    for source in sources:
        subprocess.run(["arm-none-eabi-gcc", *board.cflags, *COMMON_FLAGS, "-Werror=implicit-function-declaration",
                        "-c", source, "-o", str(tmp_path / "x.o")], check=True, cwd=out)

    # On the host, linked into the user's own main: the output equals the TFLM interpreter's.
    (tmp_path / "main.c").write_text(USER_MAIN)
    exe = tmp_path / "user"
    cc = shutil.which("cc") or shutil.which("gcc")
    subprocess.run([cc, "-std=c99", "-O1", f"-I{out}", str(tmp_path / "main.c"), *sources, "-lm", "-o", str(exe)],
                   check=True)
    header = (out / "emu_model_io.h").read_text()
    in_bytes = int(header.split("EMU_MODEL_INPUT0_BYTES ")[1].split("u")[0])
    x = np.random.default_rng(7).integers(-128, 128, in_bytes, dtype=np.int8)
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], check=True)
    from emu.model.reader import read_model

    graph = read_model(model)
    shape = graph.tensors[graph.inputs[0]].shape
    want = tflm_outputs(model.read_bytes(), [x.reshape(shape)])[0]
    got = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=want.dtype)
    assert np.array_equal(got, want.reshape(-1))


def test_version_and_export_errors(tmp_path):
    version = emu("--version")
    assert version.returncode == 0 and version.stdout.startswith("emu 0.")
    (tmp_path / "file").write_text("x")
    refused = emu("export", str(shared_model("hello_world_int8.tflite")), "-p", "nucleo-l4r5zi",
                  "--out", str(tmp_path / "file"))
    assert refused.returncode == 2 and refused.stderr.strip().splitlines() == [
        f"emu: error: --out {tmp_path / 'file'} exists and is not a folder"]
