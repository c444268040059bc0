"""The reference interpreters' own process: `python -m emu.model.oracle_worker IN_FD OUT_FD PARENT_PID`.

TFLM and LiteRT are C++ and trust the model; a model they mis-handle can kill the process
they run in. emu/model/oracle.py starts this worker once (and again after a crash) and
exchanges messages with it over two pipes (the interpreters' own prints go to stdout and stderr, never into a
message): a crash here is reported there as a one-line error, not a dead emu.

A message is an 8-byte little-endian length and a .npz archive, read without pickle. A
request holding a model ("model", "reference", "arena_size") loads it in place of the one
before; any other request holds the inputs of one inference ("0", "1", ...) for the model
loaded. Each reply holds the outputs, or "error" and "kind" when the interpreter raised.

The interpreters are set up here, and only here: emu reaches them through
emu.model.oracle's invoker(), which talks to this process.
"""

from __future__ import annotations

import io
import os
import struct
import sys
from typing import Callable

import numpy as np

from emu.model.reader import parse_model

_LENGTH = struct.Struct("<Q")

Invoke = Callable[[list[np.ndarray]], list[np.ndarray]]


def send(fd: int, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    _write_all(fd, _LENGTH.pack(len(data)) + data)


def receive(fd: int) -> dict[str, np.ndarray] | None:
    """The next message, or None when the other side closed its end."""
    head = _read_exactly(fd, _LENGTH.size)
    if head is None:
        return None
    (length,) = _LENGTH.unpack(head)
    data = _read_exactly(fd, length)
    if data is None:
        return None
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {k: archive[k] for k in archive.files}


def numbered(arrays: list[np.ndarray]) -> dict[str, np.ndarray]:
    return {str(i): np.asarray(a) for i, a in enumerate(arrays)}


def unnumbered(message: dict[str, np.ndarray]) -> list[np.ndarray]:
    return [message[str(i)] for i in range(len(message))]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, count: int) -> bytes | None:
    chunks, left = [], count
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _error(e: Exception) -> dict[str, np.ndarray]:
    kind = "ValueError" if isinstance(e, ValueError) else "RuntimeError"
    return {"error": np.array(str(e) or type(e).__name__), "kind": np.array(kind)}


def tflm_invoker(model: bytes, arena_size: int) -> Invoke:
    """TFLM in this process. Every inference starts from the state a fresh interpreter has: a
    stateful model (an LSTM's variable tensors) is reset first, as TFLM's MicroInterpreter::Reset
    does (variable tensors to their zero point), so no sample sees the one before."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=arena_size)
    # only the outputs and the state: a model TFLM runs is TFLM's to run, whatever emu's
    # checks think of it (an infinite weight scale the converter wrote, say)
    graph = parse_model(model, validated=False)
    count, stateful = len(graph.outputs), graph.stateful

    def invoke(inputs: list[np.ndarray]) -> list[np.ndarray]:
        if stateful:
            interpreter.reset()
        for i, x in enumerate(inputs):
            interpreter.set_input(x, i)
        interpreter.invoke()
        return [np.array(interpreter.get_output(i)) for i in range(count)]

    return invoke


def litert_invoker(model: bytes) -> Invoke:
    """LiteRT in this process, with its reference kernels (not XNNPACK); a stateful model is
    reset before every inference, as in tflm_invoker."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    ins = [d["index"] for d in interpreter.get_input_details()]
    outs = [d["index"] for d in interpreter.get_output_details()]
    stateful = parse_model(model, validated=False).stateful

    def invoke(inputs: list[np.ndarray]) -> list[np.ndarray]:
        if stateful:
            interpreter.reset_all_variables()
        for index, x in zip(ins, inputs, strict=False):
            interpreter.set_tensor(index, x)
        interpreter.invoke()
        return [np.array(interpreter.get_tensor(i)) for i in outs]

    return invoke


def serve(in_fd: int, out_fd: int) -> None:
    invoke = None
    while (request := receive(in_fd)) is not None:
        if "model" in request:
            invoke = None
            model = request["model"].tobytes()
            try:
                if str(request["reference"]) == "litert":
                    invoke = litert_invoker(model)
                else:
                    invoke = tflm_invoker(model, int(request["arena_size"]))
                reply = {}
            except Exception as e:  # noqa: BLE001 - the interpreters refuse models with RuntimeError, ValueError, ...
                reply = _error(e)
        elif invoke is None:
            reply = _error(RuntimeError("no model is loaded"))
        else:
            try:
                reply = numbered(invoke(unnumbered(request)))
            except Exception as e:  # noqa: BLE001 - every refusal goes back to the caller as a reply
                reply = _error(e)
        send(out_fd, reply)


if __name__ == "__main__":
    from emu.processes import watch_parent

    watch_parent(int(sys.argv[3]))  # ends with the emu process that started it, even one killed outright
    serve(int(sys.argv[1]), int(sys.argv[2]))
