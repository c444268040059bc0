"""emu's runtime against real TFLM on the shared models: instructions, RAM, code, arena.

The TFLM figures are the ones measured with TFLM's reference kernels built for an M4F
and run in the same QEMU (issue "Compile .tflite models into Cortex-M firmware"); the
arena TFLM's interpreter reports is read here from the tflite-micro package itself
(an x86-64 build, so its pointers, and with them its bookkeeping, are twice as wide).

usage: python benchmarks/tflm_compare.py [--platform nucleo-l4r5zi] [--kernels reference] [--markdown]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODELS = ROOT.parent / "shared" / "models"

# per inference on an M4F: instructions, arena bytes, runtime code bytes besides the model
TFLM = {
    "hello_world_int8": (5_234, 1_072, 20.9 * 1024),
    "micro_speech_quantized": (9_310_000, 6.8 * 1024, 34.1 * 1024),
    "person_detect": (95_660_000, 82.3 * 1024, 37.9 * 1024),
}


def tflm_interpreter_arena(model: bytes) -> int:
    """The 'Arena allocation total' the TFLM interpreter prints for a model."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
    sys.stderr.flush()
    saved = os.dup(2)  # the interpreter prints its allocations on C's stderr
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            interpreter.print_allocations()
        finally:
            ctypes.CDLL(None).fflush(None)
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode(errors="replace")
    m = re.search(r"Arena allocation total (\d+) bytes", text)
    return int(m.group(1)) if m else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="nucleo-l4r5zi")
    parser.add_argument("--kernels", default="reference", choices=("reference", "optimized"),
                        help="emu's kernel set (docs/runtime.md, 'Kernel sets')")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for the docs")
    args = parser.parse_args()

    from emu.platforms import get_platform
    from emu.results.measure import measure

    board = get_platform(args.platform)
    rows = []
    for name, (t_instr, t_ram, t_code) in TFLM.items():
        path = MODELS / f"{name}.tflite"
        if not path.is_file():
            print(f"skipping {name}: {path} not present", file=sys.stderr)
            continue
        with contextlib.redirect_stdout(sys.stderr):
            result, _ = measure(path, board, kernels=args.kernels)
        rows.append((name, result, t_instr, t_ram, t_code, tflm_interpreter_arena(path.read_bytes())))

    if args.markdown:
        print("| model | emu instructions | TFLM | ratio | emu RAM (arena+stack+data+bss) | TFLM arena | ratio "
              "| emu arena | TFLM interpreter arena (x86-64) | emu code | TFLM code | ratio | matches TFLM |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, r, t_instr, t_ram, t_code, interp_arena in rows:
        cells = (name, f"{r.instructions:,}", f"{t_instr:,.0f}", f"{r.instructions / t_instr:.2f}",
                 f"{r.ram_bytes:,}", f"{t_ram:,.0f}", f"{r.ram_bytes / t_ram:.2f}", f"{r.arena_bytes:,}",
                 f"{interp_arena:,}", f"{r.code_bytes:,}", f"{t_code:,.0f}", f"{r.code_bytes / t_code:.2f}",
                 "yes" if r.output_matches_reference else "NO")
        if args.markdown:
            print("| " + " | ".join(cells) + " |")
        else:
            print(f"{name:24} instructions {cells[1]:>12} vs {cells[2]:>12} ({cells[3]}x)  "
                  f"RAM {cells[4]:>7} vs {cells[5]:>7} ({cells[6]}x)  code {cells[9]:>7} vs {cells[10]:>7} "
                  f"({cells[11]}x)  arena {cells[7]} (TFLM interpreter {cells[8]})  matches {cells[12]}")
    print(f"targets: instructions <= 1.0x, RAM <= 0.7x, code <= 0.5x  (platform {board.name}, "
          f"{args.kernels} kernels)")


if __name__ == "__main__":
    main()
