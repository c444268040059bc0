"""Float32 against int8, and the FPU against soft float, with the instruction mix behind them.

For each model, on an M4F board as it is and with its FPU off (':soft-float'), prints
cycles, the ratios, instructions per group (alu, load, fp, branch, ...), and the functions
where a soft-float build spends its time (the library calls that replace FP instructions).

usage: python benchmarks/float_vs_int8.py [--board nucleo-l4r5zi] [--markdown]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODELS = ROOT.parent / "shared" / "models"


def instruction_mix(trace, program) -> Counter:
    from emu.timing.classes import GROUP_OF_CLASS, classify

    mix: Counter = Counter()
    for seg in trace.segments:
        for addr, n in seg.executions.items():
            mix[GROUP_OF_CLASS[classify(program[addr])]] += n
    return mix


def run(model: Path, board):
    from emu.compile.codegen import compile_graph
    from emu.emulators.trace import Segment
    from emu.link.firmware import build_firmware
    from emu.model.reader import read_model
    from emu.results.measure import count_result, default_inputs, emulate
    from emu.results.profile import split_by_function
    from emu.timing.disasm import read_program

    graph = read_model(model)
    compiled = compile_graph(graph)
    firmware = build_firmware(compiled, board)
    _, trace = emulate(firmware, board, default_inputs(graph))
    result = count_result(graph, compiled, firmware, board, trace, "model")
    executed = {a for s in trace.segments for a in s.executions}
    program = read_program(firmware.elf, executed)
    whole = Segment()
    for s in trace.segments:
        for a, n in s.executions.items():
            whole.executions[a] = whole.executions.get(a, 0) + n
    functions = sorted(((p.instructions, name) for name, p in split_by_function(whole, firmware.elf).items()),
                       reverse=True)
    return result, instruction_mix(trace, program), functions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="nucleo-l4r5zi")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    from emu.platforms import get_platform

    boards = [get_platform(args.board), get_platform(args.board + ":soft-float")]
    names = [n for n in ("hello_world_float", "hello_world_int8", "person_detect")
             if (MODELS / f"{n}.tflite").is_file()]
    runs = {}
    with contextlib.redirect_stdout(sys.stderr):
        for name in names:
            for board in boards:
                runs[name, board.name] = run(MODELS / f"{name}.tflite", board)
    groups = ("alu", "mul", "dsp", "load", "store", "branch", "fp", "div", "system")
    print("| model | build | instructions | cycles | " + " | ".join(groups) + " | top functions (instructions) |")
    print("|---|---|---:|---:|" + "---:|" * len(groups) + "---|")
    for (name, board_name), (result, mix, functions) in runs.items():
        top = ", ".join(f"{f} {n:,}" for n, f in functions[:3])
        print(f"| {name} | {board_name} | {result.instructions:,} | {result.cycles:,} | "
              + " | ".join(f"{mix.get(g, 0):,}" for g in groups) + f" | {top} |")
    hard, soft = boards[0].name, boards[1].name
    print()
    for name in names:
        print(f"{name}: soft float / FPU = {runs[name, soft][0].cycles / runs[name, hard][0].cycles:.2f}x cycles")
    if {"hello_world_float", "hello_world_int8"} <= set(names):
        for b in (hard, soft):
            f, i = runs["hello_world_float", b][0].cycles, runs["hello_world_int8", b][0].cycles
            print(f"hello_world on {b}: float32 / int8 = {f / i:.2f}x cycles")


if __name__ == "__main__":
    main()
