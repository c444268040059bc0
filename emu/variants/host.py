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


def run_reference_interpreter(model: bytes, x: np.ndarray) -> HostRun:
    """Each sample of `x` through the reference interpreter (TFLM, else LiteRT), one inference
    a sample, each from a fresh state (said in one line for a stateful model); emu's compiler
    is not involved."""
    graph = parse_model(model)
    if graph.stateful:
        say(state_note(graph))
    t_in, t_out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    reference = reference_name(graph)
    try:
        invoke = invoker(model, reference)
        raw = np.stack([invoke([quantize(sample, t_in).reshape(t_in.shape)])[0].reshape(-1) for sample in x])
    except (RuntimeError, ValueError) as e:  # what both interpreters raise for a model they refuse
        raise EmuError(f"the {reference} interpreter cannot run it: {tf_first_line(e)}") from None
    return HostRun(raw=raw, values=dequantize(raw, t_out), reference=reference)


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
