"""One model on one board: build, emulate, check outputs against the oracle, count.

This is the spine of emu; `emu run`, `emu bench` and the default job all go through it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emu.compile.codegen import CompiledModel, compile_graph
from emu.compile.fits import check_graph_fits
from emu.compile.kernel_set import resolve_kernel_set
from emu.emulators.trace import Trace
from emu.emulators.window import Window
from emu.errors import EmuError, FirmwareError, NotRunnable, first_line
from emu.link.firmware import Firmware, build_firmware
from emu.model.graph import Graph
from emu.model.oracle import ReferenceCrashed, reference_outputs
from emu.model.reader import model_name, parse_model, read_model_bytes
from emu.platforms import Platform
from emu.results.outputs import outputs_match, parse_outputs
from emu.results.record import LayerResult, Result


def default_inputs(graph: Graph, seed: int = 0) -> list[np.ndarray]:
    """Deterministic random inputs covering each input's whole value range."""
    rng = np.random.default_rng(seed)
    inputs = []
    for index in graph.inputs:
        t = graph.tensors[index]
        if t.dtype == "bool":
            inputs.append(rng.integers(0, 2, t.shape).astype(bool))
        elif np.dtype(t.dtype).kind in "iu":
            info = np.iinfo(t.dtype)
            inputs.append(rng.integers(info.min, info.max + 1, t.shape, dtype=t.dtype))
        else:
            inputs.append(rng.uniform(-1, 1, t.shape).astype(t.dtype))
    return inputs


def check_inputs(graph: Graph, inputs: list[np.ndarray]) -> list[np.ndarray]:
    if len(inputs) != len(graph.inputs):
        raise EmuError(f"{graph.name} takes {len(graph.inputs)} inputs, {len(inputs)} given")
    checked = []
    for i, (x, index) in enumerate(zip(inputs, graph.inputs, strict=True)):
        t = graph.tensors[index]
        x = np.asarray(x)
        if x.size != t.size:
            raise EmuError(f"input {i} of {graph.name} needs shape {list(t.shape)} ({t.size} values), "
                           f"got shape {list(x.shape)}")
        if x.dtype != np.dtype(t.dtype):
            raise EmuError(f"input {i} of {graph.name} needs dtype {t.dtype}, got {x.dtype}")
        checked.append(x.reshape(t.shape))
    return checked


def emulate(firmware: Firmware, platform: Platform, inputs: list[np.ndarray],
            window: Window | None = None) -> tuple[list[np.ndarray], Trace]:
    """One inference on `inputs`; `window` None measures the firmware's marked window."""
    from emu.emulators import run_firmware

    loads = [(firmware.arena_address + io.offset, np.ascontiguousarray(x, dtype=io.dtype).tobytes())
             for x, io in zip(inputs, firmware.inputs, strict=True)]
    trace = run_firmware(firmware.elf, platform, loads=loads, window=window)
    raise_for_exit(trace, firmware.elf)
    return parse_outputs(trace.stdout, firmware.outputs), trace


def raise_for_exit(trace: Trace, elf: Path) -> None:
    e = trace.exit
    where = f" at pc {e.pc:#010x}{symbol_suffix(elf, e.pc)}" if e.pc is not None else ""
    if e.kind == "fault":
        raise FirmwareError(f"firmware faulted{where} ({e.detail})")
    if e.kind == "budget":
        raise FirmwareError(f"firmware did not finish within its instruction budget; stopped{where}")
    if e.kind == "wait":
        at = f" at {e.pc:#x}{symbol_suffix(elf, e.pc)}" if e.pc is not None else ""
        if e.detail == "branch-to-self":
            raise FirmwareError(f"firmware loops forever: a branch to itself{at}, and no interrupt can end it")
        raise FirmwareError(f"firmware waits for an interrupt that cannot come ({e.detail or 'WFI'}{at})")
    if e.kind == "refused":
        from emu.emulators.semihosting import refusal_message

        raise FirmwareError(refusal_message(e.detail, where))
    if e.kind == "timeout":
        raise FirmwareError(f"firmware stopped making progress (timeout){where}")
    if e.kind == "exit" and e.code != 0:
        raise FirmwareError(f"firmware exited with code {e.code}")
    check_stack(trace, elf)


def check_stack(trace: Trace, elf: Path) -> None:
    """The stack is painted from its limit up before main runs; when even its lowest word was
    written, the stack reached its limit and (growing down) most likely went past it, into the
    data below. The results of such a run cannot be trusted, whatever its outputs."""
    from emu.elf import symbol_address

    low = trace.min_stack_address
    limit, top = symbol_address(elf, "__stack_limit"), symbol_address(elf, "__stack_top")
    if low is not None and limit is not None and top is not None and low <= limit:
        raise FirmwareError(f"the stack overflowed: the firmware used all {top - limit:,} bytes reserved for it "
                            f"({limit:#x} to {top:#x}), so it may have overwritten the data below it")


def symbol_suffix(elf: Path, pc: int | None) -> str:
    """' in <function>' for a PC inside a known function of the ELF."""
    from emu.elf import function_table

    name = function_table(elf).function_at(pc) if pc is not None else None
    return f" in {name}" if name else ""


def count_result(graph: Graph, compiled: CompiledModel, firmware: Firmware, platform: Platform,
                 trace: Trace, variant: str) -> Result:
    from emu.results.power import energy_uj, latency_ms
    from emu.timing import count_cycles
    from emu.timing.disasm import read_program
    from emu.timing.uncertainty import uncertainty_pct

    executed = set()
    for seg in trace.segments:
        executed.update(seg.executions)
    program = read_program(firmware.elf, executed)
    counts = [count_cycles(seg, program, platform) for seg in trace.segments]
    cycles = sum(c.cycles for c in counts)
    by_class: dict[str, int] = {}
    for c in counts:
        for k, v in c.by_class.items():
            by_class[k] = by_class.get(k, 0) + v
    # segment 0 is the start marker's return; segment k+1 is operator k
    if len(trace.segments) != len(compiled.layers) + 1:
        raise FirmwareError(f"the firmware marked {len(trace.segments) - 1} operators, the model has "
                            f"{len(compiled.layers)}: its per-layer figures cannot be trusted")
    layers = [LayerResult(layer.index, layer.op, seg.instructions, c.cycles, layer.path, layer.macs, layer.fallback,
                          layer.weight_format, layer.choice)
              for layer, seg, c in zip(compiled.layers, trace.segments[1:], counts[1:], strict=True)]
    stack = firmware.stack_top - trace.min_stack_address if trace.min_stack_address else 0
    s = firmware.sections
    return Result(
        model=graph.name, model_sha256=graph.sha256, variant=variant, platform=platform.name,
        core=platform.core, fpu=platform.fpu, clock_hz=platform.clock_hz, kernels=compiled.kernel_set,
        instructions=trace.instructions, cycles=cycles,
        latency_ms=latency_ms(cycles, platform), energy_uj=energy_uj(cycles, platform),
        flash_bytes=s.flash, ram_bytes=s.data + s.bss + s.arena + stack,
        arena_bytes=compiled.arena_bytes, stack_bytes=stack, output_matches_reference=None,
        layers=layers, code_bytes=s.text, weight_bytes=compiled.weight_bytes, cycles_by_class=by_class,
        cycles_uncertainty_pct=uncertainty_pct(platform.core),
        energy_basis=platform.power_basis, energy_source=platform.power_source or "",
        objective=compiled.objective,
    )


def compile_for_device(graph: Graph, kernel_set: str, platform: Platform,
                       objective: str | None = None) -> CompiledModel:
    """The model as C for the board, its filters' forms chosen for `objective` within the
    part's flash (emu/compile/objective.py); a model that reads as sound but that the compiler refuses (an operator
    it does not lower, a hybrid model, a rescale no 32-bit multiplier holds) is NotRunnable:
    a results row with its reason, not a failure of the run."""
    try:
        return compile_graph(graph, kernel_set, platform.mve, objective, platform.core, platform.flash_bytes,
                             platform.flash_data_waits)
    except (NotRunnable, FirmwareError):
        raise
    except EmuError as e:
        raise NotRunnable(str(e), first_line(e)) from None


def measure(model_path: str | Path, platform: Platform, variant: str = "model",
            inputs: list[np.ndarray] | None = None, check: bool = True,
            kernels: str | None = None, objective: str | None = None) -> tuple[Result, list[np.ndarray]]:
    """Build, emulate and count one model on one board; check outputs against the oracle.
    kernels: "reference" or "optimized"; None is the board's default (emu/compile/kernel_set.py).
    objective: what the weight formats are chosen for; None is latency (emu/compile/objective.py)."""
    model_path = Path(model_path)
    kernel_set = resolve_kernel_set(platform, kernels)
    model = read_model_bytes(model_path)
    graph = parse_model(model, name=model_name(model_path))
    check_graph_fits(graph, platform.name, platform.flash_bytes)
    compiled = compile_for_device(graph, kernel_set, platform, objective)
    firmware = build_firmware(compiled, platform)
    inputs = check_inputs(graph, inputs if inputs is not None else default_inputs(graph))
    outputs, trace = emulate(firmware, platform, inputs)
    result = count_result(graph, compiled, firmware, platform, trace, variant)
    if check:
        try:
            want, reference = reference_outputs(model, graph, inputs)
        except ReferenceCrashed:
            raise  # not a refusal: the comparison cannot be made, and the user must know
        except Exception as e:  # the interpreters raise RuntimeError, ValueError, ... on models they refuse
            result.reference = f"none: the reference interpreter refused the model ({first_line(e)[:120]})"
        else:
            result.output_matches_reference = outputs_match(outputs, want)
            result.reference = reference
    return result, outputs
