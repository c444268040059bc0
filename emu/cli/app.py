"""The `emu` command: a thin shell over the Python API (each command calls one function).

Exit codes: 0 success, 1 a check failed, 2 bad input or a missing dependency, always
with one line on stderr; --debug shows the traceback as well.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from emu.cache import atomic_write, copy_file, ensure_folder, own_descriptor
from emu.cli.decide import register as register_decide
from emu.cli.variants import register as register_variants
from emu.compile.objective import HELP as OBJECTIVE_HELP
from emu.compile.objective import resolve_objective
from emu.console import say, table_text, terminal_safe_streams
from emu.errors import CheckFailed, EmuError, escaped, shown

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="TinyML device emulator: build .tflite models into Cortex-M firmware, "
                       "emulate it and measure cycles, latency, energy, flash and RAM.")

EMULATOR_HELP = "Emulator backend: qemu (default) or renode; also set by EMU_EMULATOR."
KERNELS_HELP = ("Kernel set: reference (portable C) or optimized (DSP extension: M4, M7, M33; with "
                "Helium vector kernels on the M55). "
                "Default: optimized where the board's core has the DSP extension, else reference.")

KERNELS_OPTION = typer.Option(None, "--kernels", help=KERNELS_HELP)
# One home for --optimize: its help and its parsing (resolve_objective) are emu/compile/objective.py's.
OPTIMIZE_OPTION = typer.Option(None, "--optimize", metavar="latency|flash|balanced", help=OBJECTIVE_HELP)


def _print_version(value: bool) -> None:
    if value:
        import emu

        print(f"emu {emu.__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                          help="Print emu's version and exit.")) -> None:
    pass


JOBS_HELP = "Worker processes for a sweep (default: one per core)."
CLUSTER_HELP = "Run the sweep on a Dask distributed scheduler, e.g. tcp://10.0.0.5:8786 (needs emu[cluster])."
PLATFORM_HELP = ("Board name (see `emu platforms`; add ':soft-float' to build an FPU part with "
                 "its FPU off, ':reference' or ':optimized' to pin the kernel set) or a platform YAML file.")


@app.command()
def doctor() -> None:
    """Check the toolchain, QEMU and Python packages, and say how to fix what is missing.

    Exit 0 when everything required is there (missing optional parts are listed with the
    line that installs them), 2 when something required is missing.

    Example: emu doctor
    """
    from emu.doctor import missing_required, run_checks

    checks = run_checks()
    print(table_text(("status", "check", "detail"), [(c.status, c.name, c.detail) for c in checks]))
    missing = missing_required(checks)
    if missing:
        raise EmuError(f"missing: {', '.join(c.name for c in missing)} (how to install each is above)")


@app.command()
def platforms(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List the boards emu knows.

    Example: emu platforms --json
    """
    from emu.platforms import list_platforms

    boards = list_platforms()
    if as_json:
        rows = [{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(p).items()} for p in boards]
        print(json.dumps(rows, indent=2))
        return
    headers = ("board", "core", "FPU", "MHz", "flash KB", "RAM KB", "flash WS", "accelerator", "RAM WS",
               "description")
    rows = [(p.name, p.core, "yes" if p.fpu else "no", f"{p.clock_mhz:.0f}", p.flash_bytes // 1024,
             p.ram_bytes // 1024, p.flash_wait_states, p.flash_accelerator, p.ram_wait_states, p.description)
            for p in boards]
    print(table_text(headers, rows, right=(3, 4, 5, 6, 8)))


@app.command()
def build(
    model: Path = typer.Argument(..., help="The .tflite model."),
    platform: str = typer.Option(..., "--platform", "-p", help=PLATFORM_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for firmware.elf and build.json."),
    kernels: str | None = KERNELS_OPTION,
    optimize: str | None = OPTIMIZE_OPTION,
) -> None:
    """Build MODEL into firmware for a board: writes OUT/firmware.elf and OUT/build.json.

    Example: emu build hello_world_int8.tflite --platform nucleo-l4r5zi --out build/hello
    """
    from emu.compile.codegen import compile_graph
    from emu.compile.fits import check_graph_fits
    from emu.compile.kernel_set import resolve_kernel_set
    from emu.link.firmware import build_firmware
    from emu.model.reader import read_model
    from emu.platforms import get_platform

    board = get_platform(platform)
    kernel_set = resolve_kernel_set(board, kernels)
    objective = resolve_objective(optimize)
    graph = read_model(model)
    check_graph_fits(graph, board.name, board.flash_bytes)
    compiled = compile_graph(graph, kernel_set, board.mve, objective, board.core, board.flash_bytes,
                             board.flash_data_waits)
    ensure_folder(out)  # before building: a file in its place fails at once, not after the compile
    firmware = build_firmware(compiled, board)
    copy_file(firmware.elf, out / "firmware.elf")
    copy_file(firmware.elf.parent / "build.json", out / "build.json")
    s = firmware.sections
    print(f"{escaped(str(out / 'firmware.elf'))}: flash {s.flash:,} B (code {s.text:,}, constants {s.rodata:,}), "
          f"RAM {s.static_ram:,} B + stack (arena {s.arena:,}); {kernel_set} kernels, weights for {objective}")


@app.command()
def export(
    model: Path = typer.Argument(..., help="The .tflite model."),
    platform: str = typer.Option(..., "--platform", "-p", help=PLATFORM_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for model.c, the kernels and emu_model_io.h."),
    kernels: str | None = KERNELS_OPTION,
    optimize: str | None = OPTIMIZE_OPTION,
) -> None:
    """Write the measured model as C sources to link into your own firmware: model.c, the
    kernels it calls, and a header with the arena size and the input and output layout.

    Example: emu export person_detect.tflite -p disco-f746ng --out firmware/person_detect
    """
    from emu.compile.codegen import compile_graph
    from emu.compile.fits import check_graph_fits
    from emu.compile.kernel_set import resolve_kernel_set
    from emu.link.export import export_sources
    from emu.link.firmware import build_firmware
    from emu.model.reader import read_model
    from emu.platforms import get_platform

    board = get_platform(platform)
    kernel_set, objective = resolve_kernel_set(board, kernels), resolve_objective(optimize)
    graph = read_model(model)
    check_graph_fits(graph, board.name, board.flash_bytes)
    compiled = compile_graph(graph, kernel_set, board.mve, objective, board.core, board.flash_bytes,
                             board.flash_data_waits)
    firmware = build_firmware(compiled, board)  # the same sources, built as emu measured them: they fit
    written = export_sources(compiled, board, out)
    print(f"{out}: {len(written)} files; arena {compiled.arena_bytes:,} B, flash {firmware.sections.flash:,} B "
          f"in emu's firmware for {board.name}")


@app.command()
def run(
    model: Path = typer.Argument(..., help="The .tflite model."),
    platform: str = typer.Option(..., "--platform", "-p", help=PLATFORM_HELP),
    input: List[Path] = typer.Option(..., "--input", "-i",
                                     help="Input tensor as .npy; once per model input, in the model's order."),
    output: List[Path] = typer.Option(..., "--output", "-o",
                                      help="Where to write the output tensor (.npy); once per model output, in order."),
    check: bool = typer.Option(True, help="Compare the output with the TFLM interpreter's."),
    emulator: Optional[str] = typer.Option(None, "--emulator", help=EMULATOR_HELP),
    kernels: str | None = KERNELS_OPTION,
    optimize: str | None = OPTIMIZE_OPTION,
) -> None:
    """Run one inference of MODEL in the emulated board and save the output.

    Example: emu run person_detect.tflite -p disco-f746ng --input x.npy --output y.npy
    """
    from emu.emulators import select_emulator
    from emu.model.reader import read_model
    from emu.model.tensor_file import load_tensor, save_tensor
    from emu.platforms import get_platform
    from emu.results.measure import measure

    select_emulator(emulator)
    board = get_platform(platform)
    objective = resolve_objective(optimize)
    graph = read_model(model)
    for kind, given, tensors in (("input", input, graph.inputs), ("output", output, graph.outputs)):
        if len(given) != len(tensors):
            names = ", ".join(escaped(graph.tensors[i].name or f"tensor {i}") for i in tensors)
            raise EmuError(f"{graph.name} has {len(tensors)} {kind}s ({names}); give --{kind} once for each, "
                           f"in that order (got {len(given)})")
    if len(set(output)) != len(output):
        raise EmuError("two --output options name the same file")
    xs = [load_tensor(path, graph.tensors[i].shape, graph.tensors[i].dtype)
          for path, i in zip(input, graph.inputs, strict=True)]
    result, outputs = measure(model, board, inputs=xs, check=check, kernels=kernels, objective=objective)
    written = list(zip(output, outputs, strict=True))
    for path, y in written:
        save_tensor(path, y)
    print(", ".join(f"{escaped(str(path))}: {y.dtype} {list(y.shape)}" for path, y in written)
          + f"; {result.cycles:,} cycles, {result.latency_ms:.3f} ms at {board.clock_mhz:.0f} MHz "
            f"({result.kernels} kernels)")
    if result.output_matches_reference is False:
        raise CheckFailed(f"the output differs from the {result.reference} reference")
    if check and result.output_matches_reference is None:  # emu ran what the reference refused
        print(f"emu: not checked: {result.reference.removeprefix('none: ')}", file=sys.stderr)


@app.command()
def bench(
    models: List[Path] = typer.Argument(..., help=".tflite models, or folders written by `emu variants`."),
    platform: List[str] = typer.Option(..., "--platform", "-p", help=PLATFORM_HELP + " Repeat for more."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write results as JSON (- for stdout)."),
    csv_out: Optional[Path] = typer.Option(None, "--csv", help="Write results as CSV (- for stdout)."),
    emulator: Optional[str] = typer.Option(None, "--emulator", help=EMULATOR_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help=JOBS_HELP),
    cluster: Optional[str] = typer.Option(None, "--cluster", help=CLUSTER_HELP),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Reuse results measured before for the same content."),
    kernels: str | None = KERNELS_OPTION,
    optimize: str | None = OPTIMIZE_OPTION,
    verify_cache: int = typer.Option(0, "--verify-cache", min=0, metavar="N",
                                     help="First measure again N results the cache holds, picked at random; "
                                          "exit 1 if one differs."),
) -> None:
    """Measure every model on every board and print a table; runs in parallel, one job per core.

    Example: emu bench reports/variants/digits -p rp2040-pico -p nucleo-l4r5zi --json results.json
    """
    from emu.compile.kernel_set import resolve_kernel_set
    from emu.emulators import select_emulator
    from emu.platforms import get_platform
    from emu.results.bench import bench as run_bench
    from emu.results.bench import format_table
    from emu.results.record import write_csv, write_json
    from emu.variants import collapsed_in, expand_models, not_runnable_in, qualities_by_model

    select_emulator(emulator)
    objective = resolve_objective(optimize)
    boards = [get_platform(p) for p in platform]
    for board in boards:
        resolve_kernel_set(board, kernels)  # refuse an impossible kernel set before measuring anything
    pairs = expand_models(models)  # a variant skipped is named on stderr, and is a row "not runnable" below
    if not pairs:
        raise EmuError("nothing to measure: no model in the paths given runs on the device")
    quality, skipped = qualities_by_model(models), not_runnable_in(models)
    outcome = run_bench(pairs, boards, workers=jobs, cluster=cluster, use_cache=cache, kernels=kernels,
                        verify=verify_cache, not_runnable=skipped, objective=objective)
    runs = (len(pairs) + len(skipped)) * len(boards)
    collapsed = collapsed_in(models)
    results = [dataclasses.replace(r, quality=quality.get(r.model_sha256, {}),
                                   collapsed=collapsed.get(r.model_sha256, "")) for r in outcome.results]
    if results:  # on stderr when the results themselves go to stdout (--json -)
        to_stdout = any(own_descriptor(p) == 1 for p in (json_out, csv_out) if p)
        print(format_table(results), file=sys.stderr if to_stdout else sys.stdout)
    unmeasured = sum(1 for r in results if not r.measured)
    say(f"{len(results)} of {runs} runs: {outcome.reused} reused from the cache, "
        f"{outcome.measured} measured" + (f"; {unmeasured} do not fit or cannot run (listed)" if unmeasured else ""))
    if json_out and results:
        write_json(results, json_out)
    if csv_out and results:
        write_csv(results, csv_out)
    for failure in outcome.failures:
        say(f"emu: not measured: {failure.job.label}: {failure.reason}")
    if outcome.failures:
        raise EmuError(f"{len(outcome.failures)} of {runs} measurements failed (listed above)"
                       + ("" if results else "; nothing was measured"))
    if results and unmeasured == len(results):
        # Every row is an answer, but no number came of the run: a script must not read it as one.
        raise EmuError("nothing was measured: every model and board pair does not fit or cannot run (listed above)")
    if any(r.output_matches_reference is False for r in results):
        raise CheckFailed("some outputs differ from the reference (see the table)")


@app.command()
def bsp(
    platform: str = typer.Argument(..., help=PLATFORM_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the files into."),
) -> None:
    """Write a board's linker script, startup code and semihosting exit, for your own firmware.

    Build firmware of your own (with TFLM, say) with these files, then measure it with
    `emu profile`.

    Example: emu bsp nucleo-l4r5zi --out bsp/
    """
    from emu.link.bsp import write_bsp
    from emu.platforms import get_platform

    for path in write_bsp(get_platform(platform), out):
        print(path)


@app.command()
def profile(
    elf: Path = typer.Argument(..., help="A bare-metal ELF linked with the files from `emu bsp`."),
    platform: str = typer.Option(..., "--platform", "-p", help=PLATFORM_HELP),
    start: Optional[str] = typer.Option(None, help="Function whose entry opens the measured window."),
    end: Optional[str] = typer.Option(None, help="Function whose entry closes the measured window."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the profile as JSON."),
    top: int = typer.Option(15, help="How many functions to list."),
    emulator: Optional[str] = typer.Option(None, "--emulator", help=EMULATOR_HELP),
) -> None:
    """Run any ELF built for a board and report its cycles, per function too.

    Example: emu profile tflm_app.elf -p nucleo-l4r5zi --start run_inference --end inference_done
    """
    from emu.emulators import select_emulator
    from emu.platforms import get_platform
    from emu.results.profile import profile_elf

    select_emulator(emulator)
    board = get_platform(platform)
    result = profile_elf(elf, board, start, end)
    print(f"{elf.name} on {board.name}: {result.instructions:,} instructions, {result.cycles:,} cycles, "
          f"{result.latency_ms:.3f} ms, {result.energy_uj:.2f} uJ, stack {result.stack_bytes:,} B")
    from emu.timing.uncertainty import uncertainty_of

    stated = uncertainty_of(board.core)
    if stated:
        print(f"cycle model uncertainty for {board.core}: {stated.describe()}")
    if result.output:
        print("firmware output:")
        print("".join(f"  | {line}" for line in result.output.splitlines(keepends=True)), end="")
    print("cycles by part:  " + ", ".join(f"{k} {v:+,}" if k in ("pipeline", "dual-issue") else f"{k} {v:,}"
                                         for k, v in result.cycles_by_part.items()))
    print("cycles by class: " + ", ".join(f"{k} {v:,}" for k, v in
                                         sorted(result.cycles_by_class.items(), key=lambda kv: -kv[1])))
    if result.functions[:top]:
        print(table_text(("cycles", "instructions", "function"),
                         [(f"{f.cycles:,}", f"{f.instructions:,}", f.name) for f in result.functions[:top]],
                         right=(0, 1)))
    if json_out:
        atomic_write(json_out, json.dumps(result.to_dict(), indent=2) + "\n")


@app.command()
def demo(
    out: Path = typer.Option(Path("reports/demo"), "--out", help="Where to write the results and the report."),
    platform: Optional[List[str]] = typer.Option(None, "--platform", "-p", help="Boards (default: a mix with and "
                                                                                "without an FPU)."),
) -> None:
    """The built-in default job: which digits classifier to ship on which board.

    Trains a small CNN on scikit-learn's bundled digits, makes every default variant
    (float32, float16, int8, quantization-aware, pruned, clustered, distilled), measures
    each on four boards from a Cortex-M0+ to a Cortex-M7, recommends one under limits that
    suit the task (accuracy at least 90%, latency, RAM, flash) and writes the HTML report.
    A second run reads models and results back from the cache.

    Example: emu demo --out reports/demo
    """
    from emu.orchestrate.demo import run_demo

    run_demo(out, platform or None, progress=say)


# Commands that live with their own packages.
register_variants(app)
register_decide(app)


def main() -> None:
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    with terminal_safe_streams():  # nothing a file or a model holds reaches the terminal raw
        run_app(debug)


_FULL_OR_READ_ONLY = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def run_app(debug: bool) -> None:
    try:
        app(standalone_mode=False)
    except (EmuError, CheckFailed) as e:
        if debug:
            raise
        # Control characters and undecodable bytes are escaped by the streams; a message may
        # carry further lines (a compiler's output).
        first = str(e).strip().splitlines()
        say(f"emu: error: {first[0] if first else type(e).__name__}")
        for extra in first[1:8]:
            say(f"  {extra}")
        sys.exit(e.exit_code)
    except typer.Abort:
        say("emu: aborted")
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except Exception as e:  # usage errors from the option parser, and anything unexpected
        # Typer bundles its own copy of click, so its usage errors are known by their shape.
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):
            say(f"emu: error: {e.format_message()}")
            sys.exit(2)
        if debug:
            raise
        if isinstance(e, OSError) and e.errno in _FULL_OR_READ_ONLY:
            # A full or read-only disk can stop any write (the cache, an output, a compiler's):
            # the user's to fix, not a fault of emu's.
            say(f"emu: error: cannot write {shown(str(e.filename or 'a file'), 200)}: {e.strerror}")
            sys.exit(2)
        say(f"emu: internal error: {type(e).__name__}: {e} (run with --debug for the traceback)")
        sys.exit(2)


if __name__ == "__main__":
    main()
