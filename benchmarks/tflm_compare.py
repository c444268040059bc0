"""emu's runtime against real TFLM on the shared models: instructions, RAM, code, arena.

The TFLM figures are the ones measured with TFLM's reference kernels built for an M4F
and run in the same QEMU (issue "Compile .tflite models into Cortex-M firmware"); the
arena TFLM's interpreter reports is read here from the tflite-micro package itself
(an x86-64 build, so its pointers, and with them its bookkeeping, are twice as wide).

With the optimized kernels, instructions are also set against TFLM with the CMSIS-NN
kernels on the same M4F, figures from outside this repository (which does not build that
firmware): person_detect 22.93 M, micro_speech 1.495 M, hello_world 3,527; the target is
at most 0.8x. Several boards may be given (the M7 and M33 run the same Thumb-2 code as the
M4F, so their instruction ratios are against the M4F figures; their cycles are their own).

usage: python benchmarks/tflm_compare.py [--platform nucleo-l4r5zi[,disco-f746ng,...]]
                                         [--kernels reference|optimized] [--markdown]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
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
CMSIS_NN_INSTRUCTIONS = {"hello_world_int8": 3_527, "micro_speech_quantized": 1_495_000, "person_detect": 22_930_000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="nucleo-l4r5zi", help="a board, or several joined by commas")
    parser.add_argument("--kernels", default="reference", choices=("reference", "optimized"),
                        help="emu's kernel set (docs/runtime.md, 'Kernel sets')")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for the docs")
    args = parser.parse_args()

    from emu.model.oracle import tflm_arena_bytes
    from emu.platforms import get_platform
    from emu.results.measure import measure

    boards = [get_platform(name) for name in args.platform.split(",")]
    optimized = args.kernels == "optimized"
    rows = []
    for board in boards:
        for name, (t_instr, t_ram, t_code) in TFLM.items():
            path = MODELS / f"{name}.tflite"
            if not path.is_file():
                print(f"skipping {name}: {path} not present", file=sys.stderr)
                continue
            with contextlib.redirect_stdout(sys.stderr):
                result, _ = measure(path, board, kernels=args.kernels)
            rows.append((board.name, name, result, t_instr, t_ram, t_code, tflm_arena_bytes(path.read_bytes())))

    headers = ["board", "model", "emu instructions", "cycles", "TFLM", "ratio"]
    headers += ["TFLM + CMSIS-NN", "ratio"] if optimized else []
    headers += ["emu RAM (arena+stack+data+bss)", "TFLM arena", "ratio", "emu arena",
                "TFLM interpreter arena (x86-64)", "emu code", "TFLM code", "ratio", "matches TFLM"]
    table = []
    for board, name, r, t_instr, t_ram, t_code, interp_arena in rows:
        cells = [board, name, f"{r.instructions:,}", f"{r.cycles:,}", f"{t_instr:,.0f}",
                 f"{r.instructions / t_instr:.2f}"]
        if optimized:
            cmsis = CMSIS_NN_INSTRUCTIONS[name]
            cells += [f"{cmsis:,}", f"{r.instructions / cmsis:.2f}"]
        cells += [f"{r.ram_bytes:,}", f"{t_ram:,.0f}", f"{r.ram_bytes / t_ram:.2f}", f"{r.arena_bytes:,}",
                  f"{interp_arena:,}", f"{r.code_bytes:,}", f"{t_code:,.0f}", f"{r.code_bytes / t_code:.2f}",
                  "yes" if r.output_matches_reference else "NO"]
        table.append(cells)
    if args.markdown:
        print("| " + " | ".join(headers) + " |")
        print("|---|---|" + "---:|" * (len(headers) - 3) + "---|")
        for cells in table:
            print("| " + " | ".join(cells) + " |")
    else:
        widths = [max(len(h), *(len(c[i]) for c in table)) for i, h in enumerate(headers)]
        for cells in [headers, *table]:
            print("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=False)))
    print(f"targets: instructions <= 1.0x TFLM{' and <= 0.8x TFLM + CMSIS-NN' if optimized else ''}, RAM <= 0.7x, "
          f"code <= 0.5x  ({args.kernels} kernels; TFLM's figures are an M4F's)")


if __name__ == "__main__":
    main()
