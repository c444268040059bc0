"""Model outputs as the firmware reports them, and how they are compared with the oracle."""

from __future__ import annotations

import re

import numpy as np

from emu.compile.codegen import TensorIO
from emu.errors import FirmwareError

_OUTPUT_LINE = re.compile(r"^emu: output (\d+) ([0-9a-f]*)$", re.M)
# A validation run's (emu/firmware/runtime/samples_main.c): the sample, then the output.
_SAMPLE_LINE = re.compile(r"^emu: sample (\d+) output (\d+) ([0-9a-f]*)$", re.M)

# Float32 outputs may differ from TFLM's in the last bits (summation order, libm): the
# issue sets the bar at 1e-5 relative. The absolute floor covers values near zero.
FLOAT_RTOL = 1e-5
FLOAT_ATOL = 1e-6


def parse_outputs(stdout: str, ios: list[TensorIO]) -> list[np.ndarray]:
    chunks: dict[int, list[str]] = {}
    for m in _OUTPUT_LINE.finditer(stdout):
        chunks.setdefault(int(m.group(1)), []).append(m.group(2))
    return _assembled(chunks, ios, "")


def parse_sample_outputs(stdout: str, ios: list[TensorIO], count: int) -> list[list[np.ndarray]]:
    """The outputs of samples 0..count-1 of a validation run, each as parse_outputs gives them."""
    chunks: dict[int, dict[int, list[str]]] = {}
    for m in _SAMPLE_LINE.finditer(stdout):
        chunks.setdefault(int(m.group(1)), {}).setdefault(int(m.group(2)), []).append(m.group(3))
    return [_assembled(chunks.get(k, {}), ios, f" of sample {k}") for k in range(count)]


def reported_samples(stdout: str) -> int:
    """How many samples a validation run reported an output of: where a run that stopped came to."""
    return len({m.group(1) for m in _SAMPLE_LINE.finditer(stdout)})


def _assembled(chunks: dict[int, list[str]], ios: list[TensorIO], which: str) -> list[np.ndarray]:
    outputs = []
    for i, io in enumerate(ios):
        data = bytes.fromhex("".join(chunks.get(i, [])))
        if len(data) != io.nbytes:
            raise FirmwareError(f"firmware reported {len(data)} bytes for output {i}{which}, expected {io.nbytes}")
        outputs.append(np.frombuffer(data, dtype=io.dtype).reshape(io.shape).copy())
    return outputs


def outputs_match(got: list[np.ndarray], want: list[np.ndarray]) -> bool:
    """Integers must be identical; floats equal within FLOAT_RTOL, NaN where the reference
    has NaN (and infinities of the same sign where it has them)."""
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w)
        if g.shape != w.shape and g.size != w.size:
            return False
        g = g.reshape(w.shape)
        if g.dtype.kind == "f":
            if not np.allclose(g, w, rtol=FLOAT_RTOL, atol=FLOAT_ATOL, equal_nan=True):
                return False
        elif not np.array_equal(g, w):
            return False
    return True
