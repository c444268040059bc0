"""Every model on every board: Result rows, and the table, JSON and CSV they are written as."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Callable, Iterable

from emu.console import say
from emu.measure import Result, measure
from emu.platforms import Platform

# The flat columns of a result (README.md, result fields); CSV has these, JSON has them plus `layers`.
COLUMNS = ("model", "model_sha256", "variant", "platform", "core", "fpu", "clock_hz", "kernels",
           "instructions", "cycles", "latency_ms", "energy_uj", "flash_bytes", "ram_bytes",
           "arena_bytes", "stack_bytes", "output_matches_reference")


def bench(models: Iterable[tuple[Path, str]], platforms: list[Platform],
          progress: Callable[[str], None] = say) -> list[Result]:
    """models: (path, variant name) pairs."""
    pairs = [(m, p) for m in models for p in platforms]
    results = []
    for i, ((path, variant), platform) in enumerate(pairs, 1):
        progress(f"[{i}/{len(pairs)}] {path.name} ({variant}) on {platform.name}")
        result, _ = measure(path, platform, variant=variant)
        results.append(result)
    return results


def write_json(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps([r.to_dict() for r in results], indent=2) + "\n")
    tmp.replace(path)


def write_csv(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for r in results:
            writer.writerow(r.to_dict())
    tmp.replace(path)


def format_table(results: list[Result]) -> str:
    headers = ("model", "variant", "platform", "core", "instr", "cycles", "ms", "uJ",
               "flash KB", "RAM KB", "arena B", "matches")
    rows = []
    for r in results:
        core = r.core.replace("cortex-", "") + ("F" if r.fpu and r.core in ("cortex-m4",) else "")
        rows.append((r.model, r.variant, r.platform, core, f"{r.instructions:,}", f"{r.cycles:,}",
                     f"{r.latency_ms:.3f}", f"{r.energy_uj:.2f}", f"{r.flash_bytes / 1024:.1f}",
                     f"{r.ram_bytes / 1024:.1f}", f"{r.arena_bytes:,}",
                     {True: "yes", False: "NO", None: "-"}[r.output_matches_reference]))
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    numeric = {4, 5, 6, 7, 8, 9, 10}

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in numeric else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(headers), line("-" * w for w in widths), *(line(r) for r in rows)])
