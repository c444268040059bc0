"""The cycle figures the weight-format objective ranks forms by (emu/compile/objective.py, COSTS).

For each board: measures the digits variants (written by `emu variants --task digits`) with
the forms forced by the objective: int8 for the dense kernels of the board's kernel set,
pruned50-int8 and pruned80-int8 (and the int8 file pruned to 95% zeros) under `flash` for the
sparse kernels, clustered16-int8 under
`flash` for the LUT DECODE; and each --model (a dense int8 model) under `latency`, whose filter
layers give the DSP and Helium kernels the larger shapes digits lacks (digits' convolutions have
512 and 64 output elements; the MLPerf Tiny KWS and IC models' 1x1 and 3x3 layers thousands),
where blocking by pixels and channels makes the cycles per multiply-accumulate depend on the
shape (the portable kernels keep their digits fit, against which their choices were checked). Then fits
each kernel family's figures (fit()) to its filter layers by non-negative least squares, and
prints the table to paste into COSTS, one line per core, with each family's worst estimates
against the measured cycles (the figures are linear in the shapes; a kernel's cycles per
multiply-accumulate are not).

usage: python benchmarks/format_costs.py --variants reports/variants/digits \
           [--model ../shared/models/kws_ref_model.tflite ...] [--board nucleo-l4r5zi ...]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# One board per core, and the cores with optimized kernels again with the portable ones.
BOARDS = ("rp2040-pico", "nucleo-l152re", "nucleo-l4r5zi", "nucleo-l4r5zi:reference", "disco-f746ng",
          "disco-f746ng:reference", "ek-ra6m4", "ek-ra6m4:reference", "alif-e7-appkit", "alif-e7-appkit:reference")
FILTER_OPS = ("CONV_2D", "FULLY_CONNECTED")
OPTIMIZED = ("dsp", "mve")  # the families whose cycles per multiply-accumulate depend most on the shape


def layer_rows(path: Path, board, objective: str) -> list[tuple[str, int, int, int, int]]:
    """(kernel family, output elements, weight positions multiply-accumulated, nonzero ones,
    cycles) of each filter layer, and ("decode", decoded weights, 0, 0, cycles) of each DECODE."""
    from emu.compile.objective import kernel_family
    from emu.model.reader import read_model
    from emu.results.measure import measure

    graph = read_model(path)
    result, _ = measure(path, board, objective=objective)
    if result.output_matches_reference is not True:
        raise SystemExit(f"{path} on {board.name}: the outputs differ from the reference")
    ops = {op.index: op for op in graph.operators}
    rows = []
    for layer in result.layers:
        op = ops[layer.index]
        if layer.op in FILTER_OPS and layer.cycles < graph.tensors[op.outputs[0]].size:
            # fewer cycles than output elements: its work was counted in a neighbour's record
            print(f"{path.name} on {board.name}: layer {layer.index} left out ({layer.cycles} cycles)", file=sys.stderr)
        elif layer.op in FILTER_OPS:
            y, w = graph.tensors[op.outputs[0]], graph.tensors[op.inputs[1]]
            positions = y.size * (w.size // w.shape[0])
            rows.append((kernel_family(layer.path), y.size, positions, layer.macs, layer.cycles))
        elif layer.op == "CUSTOM:TFLM_DECODE":
            rows.append(("decode", sum(graph.tensors[t].size for t in op.outputs), 0, 0, layer.cycles))
    return rows


def fit(rows: list[tuple[str, int, int, int, int]]) -> dict[str, tuple[float, ...]]:
    """family -> its figures, by non-negative least squares: (cycles per output element, per
    multiply-accumulate) for the dense kernels; (per output element, per weight position, per
    nonzero weight) for the sparse ones, whose bitmap walk costs per position; (per decoded
    weight,) for DECODE."""
    from scipy.optimize import nnls

    figures = {}
    for family in sorted({r[0] for r in rows}):
        mine = [r for r in rows if r[0] == family]
        columns = {"decode": (1,), "sparse": (1, 2, 3)}.get(family, (1, 2))
        a = np.array([[r[c] for c in columns] for r in mine], dtype=float)
        b = np.array([r[4] for r in mine], dtype=float)
        solution, _ = nnls(a, b)
        figures[family] = tuple(round(float(v), 2) for v in solution)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=Path, required=True, help="a digits folder from `emu variants`")
    parser.add_argument("--board", action="append", help="repeat for more (default: one board per core)")
    parser.add_argument("--model", type=Path, action="append", default=[],
                        help="a dense int8 model whose filter layers join the fit; repeat for more")
    args = parser.parse_args()

    from emu.platforms import get_platform
    from emu.variants.int8_rewrite import pruned

    paths = {v: args.variants / v / "digits.tflite" for v in ("int8", "pruned50-int8", "pruned80-int8",
                                                               "clustered16-int8")}
    # 95% zeros, from the int8 file (emu/variants/int8_rewrite.py): few nonzero weights over the same
    # windows, which tells the bitmap walk's cost from the multiply-accumulates'.
    folder = tempfile.TemporaryDirectory()
    pruned95 = Path(folder.name) / "digits.tflite"
    pruned95.write_bytes(pruned(paths["int8"].read_bytes(), 0.95))
    by_core: dict[str, list] = {}
    measured_on: dict[str, list[str]] = {}
    for name in args.board or BOARDS:
        board = get_platform(name)
        with contextlib.redirect_stdout(sys.stderr):
            for path, objective in ((paths["int8"], "latency"), (paths["pruned50-int8"], "flash"),
                                    (paths["pruned80-int8"], "flash"), (pruned95, "flash"),
                                    (paths["clustered16-int8"], "flash")):
                by_core.setdefault(board.core, []).extend(layer_rows(path, board, objective))
            for model in args.model:  # the optimized kernels' rows only (see the docstring)
                rows = layer_rows(model, board, "latency")
                by_core[board.core].extend(row for row in rows if row[0] in OPTIMIZED)
        measured_on.setdefault(board.core, []).append(board.name)
    for core, rows in by_core.items():
        figures = fit(rows)
        print(f'    "{core}": {figures},  # {", ".join(measured_on[core])}')
        print(f"    #   estimate / measured: {spread(figures, rows)}")


def spread(figures: dict[str, tuple[float, ...]], rows: list[tuple[str, int, int, int, int]]) -> str:
    """Each family's least and largest estimate as a share of its layers' measured cycles."""
    from emu.compile.objective import estimate

    shares: dict[str, list[float]] = {}
    for family, outputs, positions, macs, cycles in rows:
        counts = (outputs,) if family == "decode" else (outputs, positions, macs)
        shares.setdefault(family, []).append(estimate(figures[family], counts) / max(cycles, 1))
    return ", ".join(f"{f} {min(v):.2f}-{max(v):.2f}x" for f, v in sorted(shares.items()))


if __name__ == "__main__":
    main()
