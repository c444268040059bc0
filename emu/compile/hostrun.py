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
    """One host build, one inference per set of inputs, each from a fresh start (a new
    process: variable tensors at their initial values)."""
    with cache.temp_folder("emu-host-") as tmp:
        work = Path(tmp)
        exe = build_host(compiled, work)
        return [_run(compiled, exe, work, [inputs])[0] for inputs in batches]


def run_compiled_on_host_sequence(compiled: CompiledModel, sequence: list[list[np.ndarray]],
                                  reset: bool = False) -> list[list[np.ndarray]]:
    """One run of the model per set of inputs, in order and in one process, without a reset
    between them: what a model's variable tensors (LSTM, SVDF state) and resource variables
    carry over shows. With `reset`, emu_model_reset() before each run but the first (as a
    validation run on the device, and TFLM's Reset() between invocations): what the state
    keeps through a reset (CALL_ONCE does not run again) shows."""
    with cache.temp_folder("emu-host-") as tmp:
        work = Path(tmp)
        return _run(compiled, build_host(compiled, work), work, sequence, reset)


def _run(compiled: CompiledModel, exe: Path, work: Path, sequence: list[list[np.ndarray]],
         reset: bool = False) -> list[list[np.ndarray]]:
    blob = b"".join(np.ascontiguousarray(x, dtype=io.dtype).tobytes()
                    for inputs in sequence for x, io in zip(inputs, compiled.inputs, strict=True))
    (work / "in.bin").write_bytes(blob)
    result = processes.run([str(exe), str(work / "in.bin"), str(work / "out.bin"), *(["reset"] if reset else [])],
                           capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise EmuError(f"host model run failed ({result.returncode}): {result.stderr.strip()}")
    data = (work / "out.bin").read_bytes()
    per_run = sum(io.nbytes for io in compiled.outputs)
    return [_read_outputs(compiled, data[i * per_run:(i + 1) * per_run]) for i in range(len(sequence))]


def _read_outputs(compiled: CompiledModel, data: bytes) -> list[np.ndarray]:
    outputs, pos = [], 0
    for io in compiled.outputs:
        outputs.append(np.frombuffer(data[pos:pos + io.nbytes], dtype=io.dtype).reshape(io.shape).copy())
        pos += io.nbytes
    return outputs


def compile_and_run_on_host(model: bytes, inputs: list[np.ndarray], kernel_set: str = "reference",
                            objective: str | None = None) -> list[np.ndarray]:
    """The model through emu's own compiler, its C built and run on the host (not an
    interpreter: this is what the device runs). kernel_set "optimized" runs the optimized
    kernels' portable form, the same integers as their DSP instructions give on the device;
    objective: what the weight formats are chosen for (emu/compile/objective.py)."""
    return run_compiled_on_host(compile_graph(parse_model(model), kernel_set, objective=objective), inputs)
