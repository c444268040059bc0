"""Test samples as C: the inputs of many inferences, held in flash by a validation firmware
(emu/firmware/runtime/samples_main.c loops over them)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from emu.compile.codegen import TensorIO, c_array_body


def sample_bytes(ios: Sequence[TensorIO]) -> int:
    """Flash one sample takes: every input of one inference."""
    return sum(io.nbytes for io in ios)


def samples_source(samples: Sequence[Sequence[np.ndarray]], ios: Sequence[TensorIO]) -> str:
    """samples.c: each sample's inputs, in the order of `ios`, as the bytes the arena takes."""
    data = b"".join(np.ascontiguousarray(x, dtype=io.dtype).tobytes()
                    for sample in samples for x, io in zip(sample, ios, strict=True))
    return ("/* Written by emu: the test samples of a validation run. */\n"
            "#include <stdint.h>\n\n"
            f"const uint32_t emu_sample_count = {len(samples)};\n"
            f"const uint32_t emu_sample_bytes = {sample_bytes(ios)};\n"
            f"const uint8_t emu_samples[] __attribute__((aligned(8))) = "
            f"{c_array_body(np.frombuffer(data, np.uint8))};\n")
