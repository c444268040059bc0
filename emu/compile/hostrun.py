"""Run a compiled model on the host: the generated C and the kernels, built with the host cc.

This checks the C against the oracle in a second instead of a boot in the emulator; the
device build runs the very same model.c and kernels (the optimized kernels' DSP
instructions have a portable C form that the host builds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emu import cache, processes
from emu.compile.codegen import CompiledModel, compile_graph
from emu.compile.kernel_library import FIRMWARE, kernel_archive, kernel_includes
from emu.errors import EmuError
from emu.model.reader import parse_model
from emu.tools import find_tool


def build_host(compiled: CompiledModel, workdir: Path) -> Path:
    cc = find_tool("cc")
    (workdir / "model.c").write_text(compiled.source)
    exe = workdir / "host_model"
    flags = ("-std=c99", "-O1", "-Wall", "-Werror=implicit-function-declaration")
    cmd = [cc, *flags, f"-I{FIRMWARE / 'runtime'}", *kernel_includes(FIRMWARE),
           str(workdir / "model.c"), str(FIRMWARE / "host" / "main.c"),
           str(kernel_archive(cc, flags, FIRMWARE)), "-lm", "-o", str(exe)]
    result = processes.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise EmuError(f"host build of the generated model failed:\n{result.stderr}")
    return exe


def run_compiled_on_host(compiled: CompiledModel, inputs: list[np.ndarray]) -> list[np.ndarray]:
    return run_compiled_on_host_many(compiled, [inputs])[0]


def run_compiled_on_host_many(compiled: CompiledModel, batches: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """One host build, one inference per set of inputs."""
    results = []
    with cache.temp_folder("emu-host-") as tmp:
        work = Path(tmp)
        exe = build_host(compiled, work)
        for inputs in batches:
            blob = b"".join(np.ascontiguousarray(x, dtype=io.dtype).tobytes()
                            for x, io in zip(inputs, compiled.inputs, strict=True))
            (work / "in.bin").write_bytes(blob)
            result = processes.run([str(exe), str(work / "in.bin"), str(work / "out.bin")],
                                    capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                raise EmuError(f"host model run failed ({result.returncode}): {result.stderr.strip()}")
            results.append(_read_outputs(compiled, (work / "out.bin").read_bytes()))
    return results


def _read_outputs(compiled: CompiledModel, data: bytes) -> list[np.ndarray]:
    outputs, pos = [], 0
    for io in compiled.outputs:
        outputs.append(np.frombuffer(data[pos:pos + io.nbytes], dtype=io.dtype).reshape(io.shape).copy())
        pos += io.nbytes
    return outputs


def compile_and_run_on_host(model: bytes, inputs: list[np.ndarray], kernel_set: str = "reference") -> list[np.ndarray]:
    """The model through emu's own compiler, its C built and run on the host (not an
    interpreter: this is what the device runs). kernel_set "optimized" runs the optimized
    kernels' portable form, the same integers as their DSP instructions give on the device."""
    return run_compiled_on_host(compile_graph(parse_model(model), kernel_set), inputs)
