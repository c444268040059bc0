"""Running a .tflite model on the host, one sample at a time, as the device would.

The TFLM interpreter computes what the device computes. It rejects float16 weights and
hybrid (dynamic-range) operators, so those forms run in LiteRT, and the run says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emu.console import say
from emu.errors import EmuError
from emu.model.graph import Graph, Tensor
from emu.model.oracle import invoker, reference_name, state_note
from emu.model.reader import parse_model
from emu.variants.messages import tf_first_line


@dataclass
class HostRun:
    raw: np.ndarray  # the first output as the model emits it, one row per sample
    values: np.ndarray  # the same, dequantized to float
    reference: str  # "tflm" or "litert"
    # every output dequantized, and as emitted, in the model's order (None: the first alone)
    outputs: list[np.ndarray] | None = None
    raw_outputs: list[np.ndarray] | None = None

    def __post_init__(self):
        if self.outputs is None:
            self.outputs, self.raw_outputs = [self.values], [self.raw]

    def output(self, index: int) -> "HostRun":
        """The run of one output, as a model with that output alone would give it."""
        return HostRun(raw=self.raw_outputs[index], values=self.outputs[index], reference=self.reference)


def run_reference_interpreter(model: bytes, x: np.ndarray) -> HostRun:
    """Each sample of `x` through the reference interpreter (TFLM, else LiteRT), one inference
    a sample, each from a fresh state (said in one line for a stateful model), every output of
    the model kept; emu's compiler is not involved."""
    graph = parse_model(model)
    if graph.stateful:
        say(state_note(graph))
    t_in = graph.tensors[graph.inputs[0]]
    reference = reference_name(graph)
    try:
        invoke = invoker(model, reference)
        runs = [invoke([quantize(sample, t_in).reshape(t_in.shape)]) for sample in x]
    except (RuntimeError, ValueError) as e:  # what both interpreters raise for a model they refuse
        raise EmuError(f"the {reference} interpreter cannot run it: {tf_first_line(e)}") from None
    raw = [np.stack([run[i].reshape(-1) for run in runs]) for i in range(len(graph.outputs))]
    values = [dequantize(r, graph.tensors[index]) for r, index in zip(raw, graph.outputs, strict=True)]
    return HostRun(raw=raw[0], values=values[0], reference=reference, outputs=values, raw_outputs=raw)


def device_inputs(graph: Graph, x: np.ndarray) -> list[np.ndarray]:
    """Float samples in the form the model's input tensor takes: one array per inference."""
    t_in = graph.tensors[graph.inputs[0]]
    return [quantize(sample, t_in).reshape(t_in.shape) for sample in x]


def quantize(x: np.ndarray, tensor: Tensor) -> np.ndarray:
    if tensor.dtype not in ("int8", "int16", "uint8"):
        return np.asarray(x, dtype=tensor.dtype)
    info = np.iinfo(tensor.dtype)
    scale, zero = tensor.quantization.scale[0], tensor.quantization.zero_point[0]
    return np.clip(np.round(np.asarray(x, np.float64) / scale) + zero, info.min, info.max).astype(tensor.dtype)


def dequantize(q: np.ndarray, tensor: Tensor) -> np.ndarray:
    if tensor.quantization is None or not tensor.quantization.scale or np.dtype(tensor.dtype).kind == "f":
        return np.asarray(q, np.float32)
    scale, zero = tensor.quantization.scale[0], tensor.quantization.zero_point[0]
    return ((np.asarray(q, np.float32) - zero) * scale).astype(np.float32)
