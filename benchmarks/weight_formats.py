"""What the weight formats buy on the device: filter flash, all constant flash, RAM and cycles.

Measures a digits variants folder (written by `emu variants --task digits`) and person_detect
from the shared corpus, with its clustered and pruned forms made from the int8 file by
emu/variants/int8_rewrite.py (not trained: for size and speed only), on one board. Every run
is checked against the reference interpreter (TFLM on the same compressed model; LiteRT for
float16).

usage: python benchmarks/weight_formats.py --variants reports/variants/digits [--board nucleo-l4r5zi]
       [--optimize latency|flash|balanced]   (the objective the forms are chosen for; default flash,
                                              which stores each filter in its smallest form)
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODELS = ROOT.parent / "shared" / "models"
DIGITS = ("fp32", "fp16", "int8", "pruned80-int8", "clustered16-int8")


def measure_one(path: Path, board, variant: str, objective: str):
    from emu.compile.kernel_set import resolve_kernel_set
    from emu.model.reader import read_model
    from emu.results.measure import compile_for_device, measure

    compiled = compile_for_device(read_model(path), resolve_kernel_set(board), board, objective)
    result, _ = measure(path, board, variant=variant, objective=objective)
    return result, compiled


def person_detect_forms(folder: Path) -> dict[str, Path]:
    from emu.variants.compression import compress_few_valued
    from emu.variants.int8_rewrite import clustered, pruned

    model = (MODELS / "person_detect.tflite").read_bytes()
    forms = {"int8": model, "clustered16-int8": compress_few_valued(clustered(model, 16)),
             "pruned80-int8": pruned(model, 0.8)}
    paths = {}
    for name, data in forms.items():
        paths[name] = folder / name / "person_detect.tflite"
        paths[name].parent.mkdir()
        paths[name].write_bytes(data)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=Path, required=True, help="a digits folder from `emu variants`")
    parser.add_argument("--board", default="nucleo-l4r5zi")
    parser.add_argument("--optimize", default="flash", choices=("latency", "flash", "balanced"))
    args = parser.parse_args()

    from emu.platforms import get_platform

    board = get_platform(args.board)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(sys.stderr):
        runs = [("digits", v, args.variants / v / "digits.tflite") for v in DIGITS
                if (args.variants / v / "digits.tflite").is_file()]
        if (MODELS / "person_detect.tflite").is_file():
            runs += [("person_detect", v, p) for v, p in person_detect_forms(Path(tmp)).items()]
        for model, variant, path in runs:
            result, compiled = measure_one(path, board, variant, args.optimize)
            rows.append((model, variant, compiled, result))
    print(f"| model | variant | weight format | filter flash | vs int8 | constant flash | flash | RAM | arena "
          f"| cycles on {board.name} | vs int8 | matches {'/'.join(sorted({r.reference for *_, r in rows}))} |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    base = {(m, "int8"): (c, r) for m, v, c, r in rows if v == "int8"}
    for model, variant, compiled, result in rows:
        c8, r8 = base.get((model, "int8"), (compiled, result))
        print(f"| {model} | {variant} | {compiled.weight_format} | {compiled.filter_bytes:,} | "
              f"{compiled.filter_bytes / c8.filter_bytes:.2f}x | {compiled.weight_bytes:,} | {result.flash_bytes:,} | "
              f"{result.ram_bytes:,} | {result.arena_bytes:,} | {result.cycles:,} | {result.cycles / r8.cycles:.2f}x | "
              f"{'yes' if result.output_matches_reference else 'NO'} |")


if __name__ == "__main__":
    main()
