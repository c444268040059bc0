"""The two kernel sets on the shared models: instructions, cycles and RAM, reference against
optimized, and where the optimized set's cycles go per kernel path (cycles per MAC).

usage: python benchmarks/kernel_sets.py [--platform nucleo-l4r5zi] [--markdown]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODELS = ROOT.parent / "shared" / "models"
NAMES = ("hello_world_int8", "micro_speech_quantized", "person_detect")
TFLM_PERSON_DETECT_ARENA = 85_264  # bytes, what TFLM's interpreter reports (docs/runtime.md)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="nucleo-l4r5zi")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables for the docs")
    args = parser.parse_args()

    from emu.platforms import get_platform
    from emu.results.measure import measure

    board = get_platform(args.platform)
    results = {}
    for name in NAMES:
        path = MODELS / f"{name}.tflite"
        if not path.is_file():
            print(f"skipping {name}: {path} not present", file=sys.stderr)
            continue
        for kernels in ("reference", "optimized"):
            with contextlib.redirect_stdout(sys.stderr):
                results[name, kernels], _ = measure(path, board, kernels=kernels)

    bar = "|" if args.markdown else " "
    print(f"{bar} model {bar} kernels {bar} instructions {bar} cycles {bar} arena B {bar} stack B {bar} RAM B "
          f"{bar} matches TFLM {bar}")
    if args.markdown:
        print("|---|---|---:|---:|---:|---:|---:|---|")
    for (name, kernels), r in results.items():
        matches = "yes" if r.output_matches_reference else "NO"
        print(f"{bar} {name} {bar} {kernels} {bar} {r.instructions:,} {bar} {r.cycles:,} {bar} {r.arena_bytes:,} "
              f"{bar} {r.stack_bytes:,} {bar} {r.ram_bytes:,} {bar} {matches} {bar}")
    print()
    print(f"{bar} model {bar} kernel path {bar} layers {bar} MACs {bar} instructions {bar} cycles {bar} "
          f"cycles/MAC {bar}")
    if args.markdown:
        print("|---|---|---:|---:|---:|---:|---:|")
    for (name, _kernels), r in results.items():
        paths: dict[str, list[int]] = {}
        for layer in r.layers:
            if layer.macs:
                row = paths.setdefault(layer.path, [0, 0, 0, 0])
                for i, v in enumerate((1, layer.macs, layer.instructions, layer.cycles)):
                    row[i] += v
        for path, (count, macs, instructions, cycles) in sorted(paths.items()):
            print(f"{bar} {name} {bar} {path} {bar} {count} {bar} {macs:,} {bar} {instructions:,} {bar} {cycles:,} "
                  f"{bar} {cycles / macs:.2f} {bar}")
    pd = results.get(("person_detect", "optimized"))
    if pd:
        print(f"\nperson_detect optimized: arena {pd.arena_bytes:,} B = "
              f"{pd.arena_bytes / TFLM_PERSON_DETECT_ARENA:.2f}x TFLM's {TFLM_PERSON_DETECT_ARENA:,} B; "
              f"arena + stack {pd.arena_bytes + pd.stack_bytes:,} B (platform {board.name})")


if __name__ == "__main__":
    main()
