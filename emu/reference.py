"""The oracle: what the real TFLM interpreter (PyPI package tflite-micro) computes."""

from __future__ import annotations

import numpy as np

from emu.model import parse_model

# Large enough for every model emu can place on a board; TFLM only uses what it needs.
DEFAULT_ARENA = 4 * 1024 * 1024


def tflm_outputs(model: bytes, inputs: list[np.ndarray], arena_size: int = DEFAULT_ARENA) -> list[np.ndarray]:
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=arena_size)
    for i, x in enumerate(inputs):
        interpreter.set_input(x, i)
    interpreter.invoke()
    count = len(parse_model(model).outputs)
    return [np.array(interpreter.get_output(i)) for i in range(count)]


def litert_outputs(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """LiteRT, the reference for what TFLM rejects (float16 weights, hybrid models)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model)
    interpreter.allocate_tensors()
    for detail, x in zip(interpreter.get_input_details(), inputs):
        interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    return [np.array(interpreter.get_tensor(d["index"])) for d in interpreter.get_output_details()]
