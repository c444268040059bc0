"""Every model on every board: Result rows, and the table they are shown as."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from emu.console import say
from emu.errors import EmuError, shown
from emu.platforms import Platform
from emu.results.measure import measure
from emu.results.record import Result


@dataclass
class BenchFailure:
    """A (model, board) pair that could not be measured, and the one-line reason."""

    model: Path
    variant: str
    platform: str
    reason: str

    def describe(self) -> str:
        return f"{shown(self.model.name)} ({shown(self.variant)}) on {self.platform}: {self.reason}"


def bench(models: Iterable[tuple[Path, str]], platforms: list[Platform],
          progress: Callable[[str], None] = say, failures: list[BenchFailure] | None = None) -> list[Result]:
    """models: (path, variant name) pairs. With a `failures` list, a pair that cannot be
    measured (an unsupported operator, a model that does not fit) is added to it and the
    rest are still measured; without one, the first such error is raised."""
    pairs = [(m, p) for m in models for p in platforms]
    results = []
    for i, ((path, variant), platform) in enumerate(pairs, 1):
        progress(f"[{i}/{len(pairs)}] {shown(path.name)} ({shown(variant)}) on {platform.name}")
        try:
            result, _ = measure(path, platform, variant=variant)
        except EmuError as e:
            if failures is None:
                raise
            lines = str(e).strip().splitlines()
            failures.append(BenchFailure(path, variant, platform.name, lines[0] if lines else type(e).__name__))
            continue
        results.append(result)
    return results


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

    return "\n".join([line(headers), line("-" * w for w in widths), *(line(r) for r in rows),
                      uncertainty_line(results)])


def uncertainty_line(results: list[Result]) -> str:
    """One line: the cycle model's stated uncertainty for the cores in the table."""
    from emu.timing.uncertainty import uncertainty_pct

    cores = sorted({r.core for r in results})
    stated = [f"{c.removeprefix('cortex-')} +/-{uncertainty_pct(c):g}%" for c in cores
              if uncertainty_pct(c) is not None]
    return "cycles are model estimates: " + ", ".join(stated) + " (docs/timing.md, 'Uncertainty')"
