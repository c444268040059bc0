"""The oracle: what the reference interpreters compute for a model.

The real TFLM interpreter (PyPI package tflite-micro) is the oracle for everything it runs.
It rejects float16 tensors and hybrid (int8 weights, float activations) operators; those
run in LiteRT with its reference kernels (not XNNPACK), the arithmetic closest to TFLM's.
Every caller that needs a reference output comes here, so both interpreters are always
set up the same way. They run in a process of their own (oracle_worker), so a model that
crashes one is an error message, not a dead emu.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import threading
import weakref
from pathlib import Path

import numpy as np

from emu import processes
from emu.errors import EmuError
from emu.model.graph import Graph
from emu.model.oracle_worker import Invoke, numbered, receive, send, unnumbered

# Large enough for every model emu can place on a board; TFLM only uses what it needs.
DEFAULT_ARENA = 4 * 1024 * 1024
# Allocations from this size up (every arena) are mapped afresh, so they start as zeros.
MMAP_THRESHOLD = 1024 * 1024

# Far longer than any inference of a model that fits a board takes on the host.
REPLY_SECONDS = 600


def needs_litert(graph: Graph) -> bool:
    """TFLM rejects float16 tensors and hybrid (int8 weights, float activations) operators."""
    if any(t.dtype == "float16" for t in graph.tensors):
        return True
    for op in graph.all_operators:  # a loop's body or a branch included
        ins = [graph.tensors[i] for i in op.inputs if i >= 0]
        if ins and ins[0].dtype == "float32" and any(t.is_constant and t.dtype == "int8" for t in ins[1:]):
            return True
    return False


def reference_name(graph: Graph) -> str:
    return "litert" if needs_litert(graph) else "tflm"


def state_note(graph: Graph) -> str:
    """One line saying how a stateful model is scored ("" for a stateless one): every
    inference starts from a reset, so no sample sees the one before (emu.model.oracle_worker)."""
    if not graph.stateful:
        return ""
    count = len(graph.variable_tensors)
    held = f"{count} variable tensor{'s' if count != 1 else ''}" if count else "resource variables"
    return (f"a stateful model ({held} kept between inferences): the interpreter is reset before every "
            "sample, as TFLM's MicroInterpreter::Reset does")


class ReferenceCrashed(EmuError):
    """The reference interpreter's process died on a model (a crash in its C++)."""


class _Worker:
    """The interpreters' process (emu/model/oracle_worker.py): one per emu process, started
    on first use and again after a crash, so a reference call costs an exchange of messages,
    not a new Python. It holds one model at a time; a session for another model sends its
    model first."""

    def __init__(self):
        to_worker, self.requests = os.pipe()
        self.replies, from_worker = os.pipe()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])  # this emu, whatever the worker's cwd
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        # Every TFLM arena fresh from the system, zeroed as a device's arena is at boot: some
        # kernels read persistent memory they never write (SPACE_TO_BATCH_ND's pad value), and
        # glibc would otherwise hand a later model the heap bytes an earlier one left behind.
        env.setdefault("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD))
        # Not processes.start: any thread may start the worker and it outlives that thread, so
        # the worker watches its parent itself (emu.processes.watch_parent).
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emu.model.oracle_worker", str(to_worker), str(from_worker), str(os.getpid())],
            pass_fds=(to_worker, from_worker), env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_worker)
        os.close(from_worker)
        self.owner = os.getpid()
        self.holds: object = None  # the session whose model the worker has loaded
        weakref.finalize(self, _stop, self.process, self.requests, self.replies)

    def exchange(self, message: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        try:
            send(self.requests, message)
            if not select.select([self.replies], [], [], REPLY_SECONDS)[0]:
                self.process.kill()
                raise ReferenceCrashed(f"the reference interpreter did not answer within {REPLY_SECONDS} s "
                                       "on this model")
            reply = receive(self.replies)
        except OSError:  # a broken pipe: the worker is gone
            reply = None
        if reply is None:
            raise ReferenceCrashed(f"the reference interpreter crashed on this model ({self.death()})")
        return reply

    def death(self) -> str:
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        if code < 0:
            return f"signal {-code}"
        return f"exit code {code}"


_worker: _Worker | None = None
_worker_lock = threading.Lock()  # one exchange at a time: a sweep's threads share the worker


def _live_worker() -> _Worker:
    global _worker
    if _worker is None or _worker.owner != os.getpid() or _worker.process.poll() is not None:
        _worker = _Worker()
    return _worker


class _Isolated:
    """A model's interpreter in the worker process: called once per inference."""

    def __init__(self, model: bytes, reference: str, arena_size: int):
        self._setup = {"model": np.frombuffer(model, np.uint8), "reference": np.array(reference),
                       "arena_size": np.array(arena_size)}
        with _worker_lock:
            self._load(_live_worker())  # a model the interpreter refuses fails here, as in-process

    def _load(self, worker: _Worker) -> None:
        worker.holds = None
        _raise_refusal(worker.exchange(self._setup))
        worker.holds = self

    def __call__(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        with _worker_lock:
            worker = _live_worker()
            if worker.holds is not self:
                self._load(worker)
            reply = worker.exchange(numbered(inputs))
        _raise_refusal(reply)
        return unnumbered(reply)

    def close(self) -> None:
        with _worker_lock:
            if _worker is not None and _worker.holds is self:
                _worker.holds = None


def _raise_refusal(reply: dict[str, np.ndarray]) -> None:
    if "error" in reply:
        raise (ValueError if str(reply["kind"]) == "ValueError" else RuntimeError)(str(reply["error"]))


def _stop(process: subprocess.Popen, *fds: int) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        process.wait(timeout=10)  # the worker exits when its request pipe closes
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def invoker(model: bytes, reference: str, arena_size: int = DEFAULT_ARENA) -> Invoke:
    """The reference interpreter for a model, in the interpreters' own process: call it once per
    inference."""
    return _Isolated(model, reference, arena_size)


def tflm_outputs(model: bytes, inputs: list[np.ndarray], arena_size: int = DEFAULT_ARENA) -> list[np.ndarray]:
    return _once(invoker(model, "tflm", arena_size), inputs)


def litert_outputs(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    return _once(invoker(model, "litert"), inputs)


def _once(invoke: _Isolated, inputs: list[np.ndarray]) -> list[np.ndarray]:
    try:
        return invoke(inputs)
    finally:
        invoke.close()


def reference_outputs(model: bytes, graph: Graph, inputs: list[np.ndarray]) -> tuple[list[np.ndarray], str]:
    """The reference outputs for one inference, and which interpreter gave them."""
    reference = reference_name(graph)
    return _once(invoker(model, reference), inputs), reference


_PRINT_ALLOCATIONS = """
import sys
from tflite_micro.python.tflite_micro import runtime
runtime.Interpreter.from_bytes(sys.stdin.buffer.read(), arena_size=%d).print_allocations()
"""


def tflm_arena_bytes(model: bytes, arena_size: int = DEFAULT_ARENA) -> int:
    """The arena TFLM's interpreter allocates for a model (its 'Arena allocation total':
    tensors, scratch and its own bookkeeping). Measured on this host, an x86-64 build whose
    bookkeeping holds 8-byte pointers, so on a device TFLM needs a little less."""
    done = processes.run([sys.executable, "-c", _PRINT_ALLOCATIONS % arena_size], input=model,
                          capture_output=True, timeout=REPLY_SECONDS)
    found = re.search(rb"Arena allocation total (\d+) bytes", done.stdout + done.stderr)
    if not found:
        raise EmuError("TFLM's interpreter did not report its arena for this model")
    return int(found.group(1))
