"""The zoo's check: does TFLM run a zoo model (tests/zoo/models.py), does emu, and are all
emu's outputs TFLM's.

Every zoo model is converted to int8 (full integer), float32 and int16x8 (16-bit
activations, 8-bit weights). For each form: does TFLM's interpreter run it (emu.model.oracle),
does emu compile it (emu.compile, built for the host by emu.compile.hostrun), and are all its
outputs TFLM's (int8 and int16 exactly, float32 within 1e-5 relative). When one of them fails,
the outcome says why: the converter's, TFLM's or emu's first reason. tests/test_model_zoo.py
holds emu to these outcomes; benchmarks/model_zoo.py prints them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from tests.zoo.models import KINDS, convert, keras_model, sample_inputs

FLOAT_RTOL = 1e-5
FLOAT_ATOL = 1e-7  # for outputs that are 0 up to float rounding

# emu's verdicts
EQUAL, DIFFERS, REFUSED, NOT_TRIED = "equal", "differs", "refused", "-"


@dataclass
class Outcome:
    model: str
    kind: str
    converted: bool = False
    tflm_runs: bool = False
    emu: str = NOT_TRIED  # EQUAL, DIFFERS, REFUSED or NOT_TRIED (no converted model or no TFLM output)
    reason: str = ""  # why the converter, TFLM or emu failed, or how the outputs differ
    blocking: list[str] = field(default_factory=list)  # the operators emu refuses in this model
    operators: list[str] = field(default_factory=list)


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:200]


def quantized_inputs(model_bytes: bytes, floats: list[np.ndarray]) -> list[np.ndarray]:
    """The float sample inputs in the converted model's input types, quantized with its
    input scales (read by LiteRT's interpreter, not emu's reader)."""
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_content=model_bytes).get_input_details()
    out = []
    for x, d in zip(floats, details, strict=True):  # both in the model's input order
        dtype = np.dtype(d["dtype"])
        scale, zero = d["quantization"]
        if dtype.kind == "i" and x.dtype.kind == "f" and scale:
            info = np.iinfo(dtype)
            x = np.clip(np.round(x / scale) + zero, info.min, info.max)
        out.append(np.asarray(x).astype(dtype).reshape(d["shape"]))
    return out


def refusals(model_bytes: bytes) -> tuple[list[str], list[str]]:
    """Every operator of the model's main subgraph (after emu folds constant shape arithmetic)
    and, for each one of any subgraph that emu's compiler refuses, 'OPERATOR: why', in graph
    order. compile_graph stops at the first; this looks at all of them, so the zoo can say
    which operators block most models."""
    from emu.compile.codegen import prepared
    from emu.compile.kernel_call import UnsupportedOperator
    from emu.compile.ops import lowerings
    from emu.compile.quant import RescaleOutOfRange
    from emu.model.reader import parse_model

    graph, _ = prepared(parse_model(model_bytes, "model"))
    table = lowerings()
    found = []
    for k in range(graph.subgraph_count):
        subgraph = graph.subgraph(k)
        for op in subgraph.operators:
            if op.op not in table:
                found.append(f"{op.op}: no lowering")
                continue
            try:
                table[op.op](op, subgraph)
            except (UnsupportedOperator, RescaleOutOfRange) as e:
                found.append(f"{op.op}: {str(e)[:160]}")
    return [op.op for op in graph.operators], found


def why_tflm_refuses(model_bytes: bytes) -> str:
    """What TFLM lacks for the model, from its operator set and its kernels' types
    (emu/model/tflm_operators.py), or "" when neither explains a refusal."""
    from emu.errors import EmuError
    from emu.model.reader import parse_model
    from emu.model.tflm_operators import BUILTIN_OPERATORS, TYPES

    try:
        graph = parse_model(model_bytes, "model")
    except EmuError:
        return ""
    missing = sorted({op.op for op in graph.operators} - set(BUILTIN_OPERATORS))
    if missing:
        return f"TFLM has no kernel for {', '.join(missing)}"
    for op in graph.operators:
        taken = TYPES[op.op]
        dtype = graph.tensors[op.inputs[0]].dtype if op.inputs and op.inputs[0] >= 0 else None
        if dtype and "any" not in taken and not any("->" in t for t in taken) and dtype not in taken:
            return f"TFLM's {op.op} kernel does not take {dtype} (it takes {', '.join(taken)})"
    return ""


def outputs_equal(kind: str, ours: list[np.ndarray], theirs: list[np.ndarray]) -> tuple[bool, str]:
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        b = np.asarray(b).reshape(a.shape)
        if kind == "float32":
            if not np.allclose(a, b, rtol=FLOAT_RTOL, atol=FLOAT_ATOL):
                return False, f"output {i}: max |diff| {np.max(np.abs(a - b)):.3g}"
        elif not np.array_equal(a, b):
            diff = np.abs(a.astype(np.int64) - b.astype(np.int64))
            return False, f"output {i}: {np.count_nonzero(diff)} of {diff.size} values differ, by at most {diff.max()}"
    return True, ""


def check(name: str, kind: str, model_bytes: bytes, floats: list[np.ndarray]) -> Outcome:
    """One converted model: TFLM's outputs, then emu's, compared."""
    from emu.compile.hostrun import compile_and_run_on_host
    from emu.errors import EmuError
    from emu.model.oracle import tflm_outputs

    outcome = Outcome(name, kind, converted=True)
    inputs = quantized_inputs(model_bytes, floats)
    try:
        expected = tflm_outputs(model_bytes, inputs)
        outcome.tflm_runs = True
    except Exception as e:  # TFLM's refusal (a RuntimeError from its C++ side, an EmuError on a crash)
        outcome.reason = f"oracle: {one_line(e)}"
    try:
        outcome.operators, outcome.blocking = refusals(model_bytes)
    except EmuError as e:  # emu's reader refused the file itself
        outcome.blocking = [f"(model): {str(e)[:160]}"]
    if not outcome.tflm_runs:  # TFLM's own message often only says allocation or invocation failed
        outcome.reason = why_tflm_refuses(model_bytes) or outcome.reason
    if not outcome.tflm_runs:
        return outcome
    if outcome.blocking:
        outcome.emu, outcome.reason = REFUSED, outcome.blocking[0]
        return outcome
    try:
        ours = compile_and_run_on_host(model_bytes, inputs)
    except EmuError as e:
        outcome.emu, outcome.reason = REFUSED, one_line(e)
        return outcome
    equal, how = outputs_equal(kind, ours, expected)
    outcome.emu, outcome.reason = (EQUAL, "") if equal else (DIFFERS, how)
    return outcome


def _converted(name: str, kind: str, seed: int) -> tuple[bytes | str, list[np.ndarray]]:
    """In the converter's process: the model in one form (or why the converter refused it),
    and the float inputs it is checked on."""
    import contextlib
    import io
    import warnings

    from emu.console import native_output_silenced

    with native_output_silenced(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = _BUILT.get((name, seed))
            if model is None:
                model = _BUILT[name, seed] = keras_model(name, seed)
            floats = sample_inputs(model, 1, seed + 1)[0]  # not one of the calibration samples
        except Exception as e:  # Keras refusing a layer's arguments
            return f"Keras: {one_line(e)}", None
        try:
            return convert(model, kind, seed), floats
        except Exception as e:  # the converter's refusals come as many exception types
            return f"converter: {one_line(e)}", floats


_BUILT: dict = {}  # the converter process's Keras models, built once for all their forms


class Converter:
    """TensorFlow's converter in processes of its own: it crashes outright on some models (a
    segmentation fault converting an LSTM), which must cost one row, not the run. Each process
    converts one model's forms after another (`lanes` processes side by side, every model's
    forms in one of them), while the caller checks what they have delivered."""

    CRASHED = "converter: crashed (its process died)"

    def __init__(self, lanes: int = 2):
        self._pools = [None] * lanes

    def __call__(self, name: str, kind: str, seed: int = 0) -> tuple[bytes | str, list[np.ndarray] | None]:
        return next(self.each([(name, kind, seed)]))[1]

    def each(self, jobs: list[tuple[str, str, int]]):
        """(job, (model bytes or why not, float inputs)) for every (name, kind, seed) job, as
        each is done: all are queued at once, so converting overlaps whatever the caller does
        between two. A model's forms come in the order given. A crash costs its own job: that
        lane's process is started again for the jobs after it."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        models = list(dict.fromkeys(job[0] for job in jobs))
        pending = [[job for job in jobs if models.index(job[0]) % len(self._pools) == lane]
                   for lane in range(len(self._pools))]  # per lane, the jobs not yet delivered, in order
        futures = {}  # future -> (lane, job)
        for lane, lane_jobs in enumerate(pending):
            futures.update({self._pool(lane).submit(_converted, *job): (lane, job) for job in lane_jobs})
        while futures:
            broken = set()
            for future in wait(futures, return_when=FIRST_COMPLETED).done:
                lane, job = futures.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    broken.add(lane)
                    continue
                pending[lane].remove(job)
                yield job, future.result()
            for lane in broken:  # one worker converts in order: the lane's first undelivered job crashed it
                futures = {f: (other, job) for f, (other, job) in futures.items() if other != lane}
                self._close(lane)
                yield pending[lane].pop(0), (self.CRASHED, None)
                futures.update({self._pool(lane).submit(_converted, *job): (lane, job) for job in pending[lane]})

    def _pool(self, lane: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if self._pools[lane] is None:
            self._pools[lane] = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._pools[lane]

    def _close(self, lane: int):
        if self._pools[lane] is not None:
            self._pools[lane].shutdown(cancel_futures=True)
            self._pools[lane] = None

    def close(self):
        for lane in range(len(self._pools)):
            self._close(lane)


def run_zoo(names, converter: Converter, kinds=KINDS, seed: int = 0) -> list[Outcome]:
    """Every model of `names` in every form of `kinds`, each checked (check) as soon as the
    converter delivers it; the outcomes in the order of `names`, then `kinds`."""
    outcomes = []
    floats = {}  # a model's float inputs, from whichever of its forms converted
    jobs = [(name, kind, seed) for name in names for kind in kinds]
    for (name, kind, _), (model_bytes, inputs) in converter.each(jobs):
        if inputs is not None:
            floats[name] = inputs
        if isinstance(model_bytes, str):
            outcomes.append(Outcome(name, kind, reason=model_bytes))
        else:
            outcomes.append(check(name, kind, model_bytes, floats[name]))
    order = [(name, kind) for name, kind, _ in jobs]
    return sorted(outcomes, key=lambda o: order.index((o.model, o.kind)))


def blocking_counts(outcomes: list[Outcome]) -> Counter:
    """Operator -> the number of (model, form) pairs TFLM runs that it keeps from emu."""
    counts: Counter = Counter()
    for o in outcomes:
        if o.tflm_runs:
            counts.update({b.split(":", 1)[0] for b in o.blocking})
    return counts
