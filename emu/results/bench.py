"""Every model on every board: Result rows, and the table they are shown as."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from emu.console import say, table_text
from emu.errors import EmuError, terminal_safe
from emu.platforms import Platform
from emu.results.cached_measure import ResultsCache
from emu.results.record import Result, unmeasured_result
from emu.results.sweep import SweepOutcome, default_jobs, jobs_for, sweep
from emu.results.verify import verify_cached


def bench(models: Iterable[tuple[Path, str]], platforms: list[Platform], progress: Callable[[str], None] = say,
          workers: int | None = None, cluster: str | None = None, use_cache: bool = True,
          kernels: str | None = None, verify: int = 0, objective: str | None = None,
          not_runnable: Iterable[tuple[str, str, str, str]] = ()) -> SweepOutcome:
    """models: (path, variant name) pairs, each measured on every board, as parallel jobs
    (emu.results.sweep); the results come in model-then-board order, failures beside them.
    kernels: the kernel set, None for each board's default. objective: what the weight formats
    are chosen for, None for the default (emu/compile/objective.py). verify: how many results the
    cache holds to measure again first (emu.results.verify), failing if one differs.
    not_runnable: (model, sha256, variant, reason) of variants known not to run on any board
    (a hybrid model): a row "not runnable" on each board, after the others."""
    from emu.compile.kernel_set import resolve_kernel_set
    from emu.compile.objective import resolve_objective

    jobs = jobs_for(models, platforms, kernels=kernels, objective=objective)
    cache = ResultsCache() if use_cache else None
    if verify:
        if cache is None:
            raise EmuError("--verify-cache checks the results cache: it cannot be used with --no-cache")
        verify_cached(jobs, verify, cache, workers or default_jobs(), progress)
    outcome = sweep(jobs, workers=workers, cluster=cluster, cache=cache, progress=progress)
    outcome.results += [unmeasured_result(name, sha256, variant, p, resolve_kernel_set(p, kernels), "not runnable",
                                          reason, resolve_objective(objective))
                        for name, sha256, variant, reason in not_runnable for p in platforms]
    return outcome


def format_table(results: list[Result]) -> str:
    """Every row, measured or not; below the table, why each unmeasured one has no figures."""
    headers = ("model", "variant", "platform", "core", "kernels", "instr", "cycles", "ms", "uJ", "power",
               "flash KB", "weights KB", "RAM KB", "arena B", "matches", "quality")
    rows = []
    for r in results:
        core = r.core.replace("cortex-", "") + ("F" if r.fpu and r.core in ("cortex-m4",) else "")
        if not r.measured:
            rows.append((r.model, r.variant, r.platform, core, r.kernels, *["-"] * 9, r.status, quality_cell(r)))
            continue
        rows.append((r.model, r.variant, r.platform, core, r.kernels, f"{r.instructions:,}", f"{r.cycles:,}",
                     f"{r.latency_ms:.3f}", f"{r.energy_uj:.2f}", r.energy_basis or "-", f"{r.flash_bytes / 1024:.1f}",
                     f"{r.weight_bytes / 1024:.1f}", f"{r.ram_bytes / 1024:.1f}", f"{r.arena_bytes:,}",
                     {True: "yes", False: "NO", None: "-"}[r.output_matches_reference], quality_cell(r)))
    numeric = (5, 6, 7, 8, 10, 11, 12, 13)
    why = [terminal_safe(f"{r.model} ({r.variant}) on {r.platform}: {r.status}: {r.reason}", keep="")
           for r in results if not r.measured]
    collapsed = sorted({terminal_safe(f"{r.model} ({r.variant}) collapsed: {r.collapsed}", keep="")
                        for r in results if r.collapsed})
    return "\n".join([table_text(headers, rows, right=numeric), *why, *collapsed, *fallback_lines(results),
                      *format_lines(results),
                      uncertainty_line(results), *power_lines(results)])


def fallback_lines(results: list[Result]) -> list[str]:
    """Under the table: the layers that ran the portable kernel though the board's kernel set has
    a faster one for their operator, with their share of the cycles, grouped by the compiler's
    reason (one line per reason, so a float model's layers take one)."""
    lines = []
    for r in results:
        slow = [layer for layer in r.layers if layer.fallback]
        if not slow or not r.cycles:
            continue
        share = sum(layer.cycles for layer in slow) / r.cycles
        lines.append(f"{r.model} ({r.variant}) on {r.platform}: {len(slow)} of {len(r.layers)} layers on the "
                     f"portable kernels, {share:.1%} of the cycles:")
        by_reason: dict[str, list] = {}
        for layer in slow:
            by_reason.setdefault(layer.fallback, []).append(layer)
        for reason, layers in by_reason.items():
            ops = ", ".join(dict.fromkeys(layer.op for layer in layers))
            cycles = sum(layer.cycles for layer in layers)
            lines.append(f"  layer{'s' if len(layers) > 1 else ''} {', '.join(str(layer.index) for layer in layers)} "
                         f"({ops}, {cycles / r.cycles:.1%}): {reason}")
    return [terminal_safe(line, keep="") for line in lines]


def format_lines(results: list[Result]) -> list[str]:
    """Under the table: for each run with layers whose filter had a choice of forms, each such
    layer's form, its multiply-accumulates, its kernel and the objective's reason
    (emu/compile/objective.py)."""
    lines = []
    for r in results:
        chosen = [layer for layer in r.layers if layer.weight_format]
        if not chosen:
            continue
        lines.append(f"{r.model} ({r.variant}) on {r.platform}, weight formats for {r.objective}:")
        lines += [f"  layer {layer.index} ({layer.op}): {layer.weight_format}, {layer.macs:,} MACs, {layer.path}, "
                  f"{layer.cycles:,} cycles; {layer.choice}" for layer in chosen]
    return [terminal_safe(line, keep="") for line in lines]


def quality_cell(r: Result) -> str:
    """The host quality `emu variants` measured ('accuracy 95.0%'), 'collapsed' when it marked the
    variant so, '-' when unknown."""
    if not r.quality:
        return "-"
    metric, value = next(iter(r.quality.items()))
    shown = f"{metric} {value:.1%}" if metric == "accuracy" else f"{metric} {value:.4g}"
    return shown + (" collapsed" if r.collapsed else "")


def power_lines(results: list[Result]) -> list[str]:
    """Under the table: which boards' energy rests on assumed power figures, and where each is discussed."""
    assumed = sorted({(r.platform, r.energy_source) for r in results if r.energy_basis == "assumed"})
    if not assumed:
        return []
    return ["energy on assumed power figures (power: assumed): "
            + ", ".join(f"{board} ({source or 'no source given'})" for board, source in assumed)]


def uncertainty_line(results: list[Result]) -> str:
    """One line: the cycle model's stated uncertainty for the cores in the table."""
    from emu.timing.uncertainty import uncertainty_pct

    cores = sorted({r.core for r in results})
    stated = [f"{c.removeprefix('cortex-')} +/-{uncertainty_pct(c):g}%" for c in cores
              if uncertainty_pct(c) is not None]
    return "cycles are model estimates: " + ", ".join(stated) + " (docs/timing.md, 'Uncertainty')"
