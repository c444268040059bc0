"""The oracle: what the reference interpreters compute for a model.

The real TFLM interpreter (PyPI package tflite-micro) is the oracle for everything it runs.
It rejects float16 tensors and hybrid (int8 weights, float activations) operators; those
run in LiteRT with its reference kernels (not XNNPACK), the arithmetic closest to TFLM's.
Every caller that needs a reference output comes here, so both interpreters are always
set up the same way.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from emu.model.reader import Graph, parse_model

# Large enough for every model emu can place on a board; TFLM only uses what it needs.
DEFAULT_ARENA = 4 * 1024 * 1024

Invoke = Callable[[list[np.ndarray]], list[np.ndarray]]


def needs_litert(graph: Graph) -> bool:
    """TFLM rejects float16 tensors and hybrid (int8 weights, float activations) operators."""
    if any(t.dtype == "float16" for t in graph.tensors):
        return True
    for op in graph.operators:
        ins = [graph.tensors[i] for i in op.inputs if i >= 0]
        if ins and ins[0].dtype == "float32" and any(t.is_constant and t.dtype == "int8" for t in ins[1:]):
            return True
    return False


def reference_name(graph: Graph) -> str:
    return "litert" if needs_litert(graph) else "tflm"


def tflm_invoker(model: bytes, arena_size: int = DEFAULT_ARENA) -> Invoke:
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=arena_size)
    count = len(parse_model(model).outputs)

    def invoke(inputs: list[np.ndarray]) -> list[np.ndarray]:
        for i, x in enumerate(inputs):
            interpreter.set_input(x, i)
        interpreter.invoke()
        return [np.array(interpreter.get_output(i)) for i in range(count)]

    return invoke


def litert_invoker(model: bytes) -> Invoke:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    ins = [d["index"] for d in interpreter.get_input_details()]
    outs = [d["index"] for d in interpreter.get_output_details()]

    def invoke(inputs: list[np.ndarray]) -> list[np.ndarray]:
        for index, x in zip(ins, inputs):
            interpreter.set_tensor(index, x)
        interpreter.invoke()
        return [np.array(interpreter.get_tensor(i)) for i in outs]

    return invoke


def invoker(model: bytes, reference: str) -> Invoke:
    return litert_invoker(model) if reference == "litert" else tflm_invoker(model)


def tflm_outputs(model: bytes, inputs: list[np.ndarray], arena_size: int = DEFAULT_ARENA) -> list[np.ndarray]:
    return tflm_invoker(model, arena_size)(inputs)


def litert_outputs(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    return litert_invoker(model)(inputs)


def reference_outputs(model: bytes, graph: Graph, inputs: list[np.ndarray]) -> tuple[list[np.ndarray], str]:
    """The reference outputs for one inference, and which interpreter gave them."""
    reference = reference_name(graph)
    return invoker(model, reference)(inputs), reference
