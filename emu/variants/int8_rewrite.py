"""Variants made from an int8 .tflite file alone, without its Keras model or data: for
models emu only has converted (person_detect), to show what clustering and pruning would
save on the device. They are not trained: the weights are changed after the fact and
their accuracy is the user's to check.

- clustered(model, 16): every filter's real weights (int8 times each channel's scale) are
  clustered with k-means into 16 values, and the tensor is quantized again with one scale
  so that the 16 values are 16 int8 values for the whole tensor (biases are rescaled to
  the new weight scale, as the quantization spec requires: bias scale = input scale *
  weight scale). LUT compression then stores 4-bit indices and one 16-byte table per tensor.
- pruned(model, 0.8): the 80% smallest weights of every filter are set to zero.

The files are rewritten through the flatbuffer object API of the schema TFLM's package
ships, so every other field of the model is kept as it was.
"""

from __future__ import annotations

import numpy as np

from emu.variants.flatbuffer import opcode_names, read, write
from emu.variants.weights import WEIGHT_INPUTS

KMEANS_STEPS = 30


def kmeans_1d(values: np.ndarray, clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's algorithm on a 1-D array, started from evenly spaced quantiles so the result
    is deterministic: (centroids, the centroid index of each value)."""
    flat = values.reshape(-1).astype(np.float64)
    centroids = np.unique(np.quantile(flat, np.linspace(0, 1, clusters)))
    for _ in range(KMEANS_STEPS):
        assign = np.abs(flat[:, None] - centroids[None, :]).argmin(axis=1)
        moved = np.array([flat[assign == k].mean() if np.any(assign == k) else c for k, c in enumerate(centroids)])
        if np.allclose(moved, centroids):
            break
        centroids = moved
    assign = np.abs(flat[:, None] - centroids[None, :]).argmin(axis=1)
    return centroids, assign.reshape(values.shape)


class _Array:
    """A constant tensor of the object-API model as a numpy array, written back on set."""

    def __init__(self, model, tensor_index: int):
        sub = model.subgraphs[0]
        self.tensor = sub.tensors[tensor_index]
        self.buffer = model.buffers[self.tensor.buffer]

    @property
    def dtype(self):
        return {9: np.int8, 2: np.int32}.get(self.tensor.type)

    def get(self) -> np.ndarray | None:
        data = self.buffer.data
        if data is None or self.dtype is None or len(data) == 0:
            return None
        return np.frombuffer(np.asarray(data, dtype=np.uint8).tobytes(), dtype=self.dtype).reshape(self.tensor.shape)

    def set(self, values: np.ndarray) -> None:
        self.buffer.data = np.frombuffer(values.astype(self.dtype).tobytes(), dtype=np.uint8)


def _filters(model):
    """(operator, filter, channel axis) of every int8 convolution and fully connected layer."""
    names = opcode_names(model)
    for op in model.subgraphs[0].operators:
        name = names[op.opcodeIndex]
        inputs = list(op.inputs)
        if name in WEIGHT_INPUTS and len(inputs) > 1 and inputs[1] >= 0:
            w = _Array(model, inputs[1])
            if w.get() is not None and w.dtype == np.int8 and w.tensor.quantization is not None:
                yield inputs, w, WEIGHT_INPUTS[name][1]


def _scales(quantization, channels: int) -> np.ndarray:
    scales = np.atleast_1d(np.asarray(quantization.scale, dtype=np.float64))
    return np.broadcast_to(scales, (channels,)) if scales.size == 1 else scales


def _one_scale(quantization, scale: float) -> None:
    quantization.scale = [float(np.float32(scale))]
    quantization.zeroPoint = [0]
    quantization.quantizedDimension = 0


def clustered(model_bytes: bytes, clusters: int = 16) -> bytes:
    model = read(model_bytes)
    sub = model.subgraphs[0]
    for inputs, w, axis in _filters(model):
        q = w.get().astype(np.float64)
        scales = _scales(w.tensor.quantization, q.shape[axis])
        shape = [1] * q.ndim
        shape[axis] = -1
        centroids, assign = kmeans_1d(q * scales.reshape(shape), clusters)
        scale = max(float(np.abs(centroids).max()) / 127.0, float(np.finfo(np.float32).tiny))
        levels = np.clip(np.round(centroids / scale), -127, 127).astype(np.int8)
        w.set(levels[assign])
        _one_scale(w.tensor.quantization, scale)
        if len(inputs) > 2 and inputs[2] >= 0:
            bias = _Array(model, inputs[2])
            values = bias.get()
            if values is not None and bias.dtype == np.int32 and bias.tensor.quantization is not None:
                rescaled = np.round(values.astype(np.float64) * scales / scale)
                bias.set(np.clip(rescaled, -(2**31), 2**31 - 1).astype(np.int32))
                input_scale = float(sub.tensors[inputs[0]].quantization.scale[0])
                _one_scale(bias.tensor.quantization, input_scale * scale)
    return write(model)


def pruned(model_bytes: bytes, sparsity: float = 0.8) -> bytes:
    model = read(model_bytes)
    for _, w, _ in _filters(model):
        values = w.get().copy()
        flat = values.reshape(-1)
        order = np.argsort(np.abs(flat.astype(np.int32)), kind="stable")
        flat[order[:int(np.ceil(sparsity * flat.size))]] = 0
        w.set(values)
    return write(model)
