"""The `emu variants` command: a thin shell over emu.variants (make_variants and the tasks)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from emu.console import say, table_text
from emu.errors import CheckFailed, EmuError


def register(app: typer.Typer) -> None:
    app.command()(variants)


def variants(
    model: Optional[Path] = typer.Argument(None, help="A trained Keras model (.keras or .h5), or a .tflite file "
                                                     "to score as it is; needs --data."),
    data: Optional[Path] = typer.Option(None, "--data", help="DATA.npz with x_train, y_train, x_test, y_test."),
    task: Optional[str] = typer.Option(None, "--task", help="A built-in task instead: digits, sine or vibration."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the variants "
                                                                 "(default reports/variants/NAME)."),
    variant: Optional[List[str]] = typer.Option(None, "--variant", "-v",
                                                help="Make only these variants: -v int8,fp32 or repeat -v."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", "-x", help="Leave these variants out: -x qat-int8."),
    kind: str = typer.Option("auto", "--kind", help="For a model file: classifier, regression, anomaly or auto."),
    seed: int = typer.Option(0, "--seed", help="Seed for data, initialisation and shuffling."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Worker processes, one variant each at a time (default: one per core)."),
) -> None:
    """Make a model's variants (fp32, fp16, dynamic-int8, int8, int16x8, qat-int8, pruned50-int8,
    pruned80-int8, clustered16-int8, distilled-int8), score each on the host with the TFLM
    interpreter, and write them with variants.json. `emu bench OUT` then measures them.

    Example: emu variants --task digits --out reports/variants/digits
    """
    from emu.extras import require_extra
    from emu.results.sweep import default_jobs
    from emu.variants.make import check_replaceable, make_variants
    from emu.variants.recipes import chosen_variants

    names = chosen_variants(variant, exclude)  # a typo should fail before any training
    if out:
        check_replaceable(out)
    if model and model.suffix == ".tflite":
        return score_tflite(model, data, kind, out)
    require_extra("variants")  # before any worker starts: a worker would find out on its own
    source = task_source(model, data, task, kind, seed)
    name = task or model.stem
    folder = out or Path("reports/variants") / name
    say(f"making variants of {name} ({source.kind}, {'built-in task' if task else model}) in {folder}")
    failures = []
    records = make_variants(source, folder, names, progress=say, failures=failures,
                            workers=jobs or default_jobs())
    print(format_variants(records))
    for f in failures:
        print(f"failed: {f.variant}: {f.reason}")
    print(f"\n{folder / 'variants.json'}")
    if failures:
        raise CheckFailed(f"{len(failures)} of {len(names)} variants could not be made "
                          f"({', '.join(f.variant for f in failures)}); the other {len(records)} were written")


def score_tflite(model: Path, data: Optional[Path], kind: str, out: Optional[Path]) -> None:
    from emu.variants.make import score_file
    from emu.variants.userfile import tflite_task

    if not data:
        raise EmuError("give the data to score the model with: --data DATA.npz")
    task, model_bytes = tflite_task(model, data, kind)
    folder = out or Path("reports/variants") / task.name
    record = score_file(task, model_bytes, folder)
    print(format_variants([record]))
    print(f"\n{folder / 'variants.json'}")


def task_source(model: Optional[Path], data: Optional[Path], task: Optional[str], kind: str, seed: int):
    """The task to make variants of, checked as far as it can be without training it."""
    from emu.variants.parallel import TaskSource

    if task and (model or data):
        raise EmuError("give either --task NAME or MODEL --data DATA.npz, not both")
    if task:
        from emu.variants.builtin import builtin_spec

        return TaskSource(builtin=task, kind=builtin_spec(task).kind, seed=seed)
    if not model or not data:
        raise EmuError("give MODEL.keras --data DATA.npz, or --task NAME (digits, sine, vibration)")
    from emu.variants.userfile import file_task

    loaded = file_task(model, data, kind, seed)  # a bad file or label is refused here, once
    return TaskSource(model=model, data=data, kind=loaded.kind, seed=seed)


def format_variants(records) -> str:
    headers = ("variant", "metric", "value", "reference", "bytes", "zeros", "unique/ch", "device")
    rows = [(r.variant, r.metric, f"{r.value:.4f}", r.reference, f"{r.file_bytes:,}", f"{r.weight_sparsity:.1%}",
             str(r.unique_weight_values), device_cell(r) if r.runs_on_device else "no: " + short_reason(r))
            for r in records]
    return table_text(headers, rows, right=(2, 4, 5, 6))


def device_cell(record) -> str:
    """'yes', and how the device build stores the filters when the record says."""
    if record.weight_format is None:
        return "yes"
    return f"yes: {record.weight_format}, {record.weight_flash_bytes:,} B filters"


def short_reason(record) -> str:
    reason = (record.not_runnable_reason or "").removeprefix("not runnable on the device: ")
    return reason if len(reason) <= 70 else reason[:67] + "..."


