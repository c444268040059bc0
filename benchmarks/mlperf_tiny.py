"""The four MLPerf Tiny models on four boards: emu's cycles, latency, RAM and flash for its own
firmware, and the ratio of its latency to each latency published for the same model on the same
board's silicon (below 1: emu's firmware is predicted faster).

usage: python benchmarks/mlperf_tiny.py [--models DIR] [--jobs N] [--markdown]

The models are the MLPerf Tiny reference files (docs/sources.md#mlperf-tiny-latencies says where
they and the published figures come from), by default from ../shared/models; a model that is
absent is skipped with a line on stderr, and with none present the script says so and exits 0.
Measurements go through emu's results cache, so a second run answers in seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODELS = ROOT.parent / "shared" / "models"

# benchmark -> the model file timed for it
BENCHMARKS = {"KWS": "kws_ref_model", "VWW": "vww_96_int8", "IC": "pretrainedResnet_quant", "AD": "ad01_int8"}
BOARDS = ("nucleo-l4r5zi", "disco-f746ng", "ek-ra6m4", "alif-e7-appkit")  # Cortex-M4F, M7, M33, M55


@dataclass(frozen=True)
class Published:
    """Median latency on silicon, ms, per benchmark, of one engine on one board."""

    board: str
    engine: str
    label: str  # short, for the table
    source: str
    latency_ms: dict[str, float]


# Published MLPerf Tiny results (latency = 1000 / median inferences per second), from the
# mlcommons/tiny_results_v0.5 ... v1.3 repositories (docs/sources.md#mlperf-tiny-latencies). The
# M55 board has none.
PUBLISHED = (
    Published("nucleo-l4r5zi", "ST X-CUBE-AI", "X-CUBE-AI", "MLPerf Tiny v1.2 round",
              {"KWS": 43.19, "VWW": 88.93, "IC": 165.13, "AD": 5.26}),
    Published("nucleo-l4r5zi", "Plumerai inference engine", "Plumerai", "MLPerf Tiny v1.1 round",
              {"KWS": 47.78, "VWW": 98.76, "IC": 167.76, "AD": 4.05}),
    Published("nucleo-l4r5zi", "TFLM v2.3.1 + CMSIS-NN", "TFLM+CMSIS-NN",
              "MLPerf Tiny v0.5 reference submission, GCC 6",
              {"KWS": 181.92, "VWW": 600.60, "IC": 704.23, "AD": 10.05}),
    Published("disco-f746ng", "Plumerai inference engine", "Plumerai", "MLPerf Tiny v1.1 round",
              {"KWS": 17.75, "VWW": 34.08, "IC": 62.88, "AD": 1.71}),
    Published("ek-ra6m4", "TFLM (TF 2.5.0-dev) + CMSIS-NN", "TFLM+CMSIS-NN",
              "MLPerf Tiny v0.7, CMSIS-NN 6.5.3, GCC 8.3.1 -O3",
              {"KWS": 50.57, "VWW": 162.36, "IC": 246.18, "AD": 4.61}),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=MODELS, help="folder holding the MLPerf Tiny .tflite files")
    parser.add_argument("--jobs", type=int, default=None, help="parallel measurements (default: one per core)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for the docs")
    args = parser.parse_args()

    present = {}
    for bench_name, stem in BENCHMARKS.items():
        path = args.models / f"{stem}.tflite"
        if path.is_file():
            present[stem] = bench_name
        else:
            print(f"skipping {bench_name}: {path} not present", file=sys.stderr)
    if not present:
        print(f"no MLPerf Tiny model in {args.models}: nothing to measure", file=sys.stderr)
        return

    from emu.platforms import get_platform
    from emu.results.bench import bench
    from emu.timing.uncertainty import uncertainty_pct

    boards = [get_platform(b) for b in BOARDS]
    with contextlib.redirect_stdout(sys.stderr):
        outcome = bench([(args.models / f"{stem}.tflite", "model") for stem in present], boards, workers=args.jobs)
    for failure in outcome.failures:
        print(f"not measured: {failure.job.label}: {failure.reason}", file=sys.stderr)

    headers = ("board", "model", "cycles", "latency ms", "RAM KB", "flash KB", "matches TFLM",
               "emu / published silicon latency")
    rows, cores = [], set()
    for r in outcome.results:
        if not r.measured:
            rows.append((r.platform, r.model, "-", "-", "-", "-", "-", f"{r.status}: {r.reason}"))
            continue
        cores.add(r.core)
        bench_name = present[r.model]
        ratios = [f"{r.latency_ms / p.latency_ms[bench_name]:.2f}x {p.label}" for p in PUBLISHED
                  if p.board == r.platform]
        rows.append((r.platform, f"{bench_name} ({r.model})", f"{r.cycles:,}", f"{r.latency_ms:.2f}",
                     f"{r.ram_bytes / 1024:.1f}", f"{r.flash_bytes / 1024:.1f}",
                     "yes" if r.output_matches_reference else "NO", ", ".join(ratios) or "none published"))
    if args.markdown:
        print("| " + " | ".join(headers) + " |\n|---|---|---:|---:|---:|---:|---|---|")
        print("\n".join("| " + " | ".join(row) + " |" for row in rows))
    else:
        from emu.console import table_text

        print(table_text(headers, rows, right=(2, 3, 4, 5)))
    print("\npublished silicon latencies, ms (docs/sources.md#mlperf-tiny-latencies):")
    for p in PUBLISHED:
        figures = ", ".join(f"{name} {p.latency_ms[name]}" for name in BENCHMARKS)
        print(f"  {p.board}: {p.engine} ({p.label}), {p.source}: {figures}")
    print("cycles are the timing model's estimates: " + ", ".join(
        f"{c.removeprefix('cortex-')} +/-{uncertainty_pct(c):g}%" for c in sorted(cores)
        if uncertainty_pct(c) is not None) + f"; {outcome.reused} results from the cache, {outcome.measured} measured")

if __name__ == "__main__":
    main()
