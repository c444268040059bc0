"""A model as plain values: tensors (shape, type, quantization, constant data), operators
(name, tensor indices, options) and the graph that holds them. The reader makes them from a
.tflite file; every later stage reads them without the flatbuffer schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Quantization:
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int = 0  # the quantized dimension, for per-channel quantization

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name: "int8", "float32", ...
    quantization: Quantization | None
    data: np.ndarray | None = None  # constant contents (weights, biases, shapes), else None
    buffer: int = 0  # index into the model's buffers (0 is the empty buffer)
    variable: bool = False  # state kept from one inference to the next (an LSTM's), reset to zero point

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize


@dataclass
class Operator:
    index: int
    op: str  # builtin operator name, e.g. "CONV_2D"
    inputs: tuple[int, ...]  # tensor indices; -1 marks an absent optional input
    outputs: tuple[int, ...]
    options: dict = field(default_factory=dict)  # snake_case option names -> values


@dataclass
class Graph:
    name: str
    sha256: str
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]

    def tensor(self, index: int) -> Tensor | None:
        return None if index < 0 else self.tensors[index]

    @cached_property
    def writers(self) -> dict[int, Operator]:
        """Tensor index -> the operator that writes it (validate.py allows one per tensor).
        Built once per Graph, so that asking for every operator stays linear: Graphs are not
        changed once made (the compiler's stages make new ones with dataclasses.replace)."""
        return {t: op for op in self.operators for t in op.outputs}
