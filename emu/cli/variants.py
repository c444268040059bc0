"""The `emu variants` command: a thin shell over emu.variants (make_variants and the tasks)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from emu.console import say, table_text
from emu.errors import CheckFailed, EmuError


def register(app: typer.Typer) -> None:
    app.command()(variants)
    app.command()(validate)


def variants(
    files: Optional[List[Path]] = typer.Argument(None, help="A trained Keras model (.keras or .h5), or .tflite "
                                                          "files to score as they are; needs --data."),
    model_name: Optional[str] = typer.Option(None, "--model", help="The model that the .tflite files are variants "
                                             "of (default: the first file's stem); each file is a variant named "
                                             "by its stem, less MODEL_."),
    data: Optional[Path] = typer.Option(None, "--data", help="DATA.npz with x_train, y_train, x_test, y_test "
                                        "(y_train_0, y_test_0, y_train_1, ... for a model with several outputs)."),
    task: Optional[str] = typer.Option(None, "--task", help="A built-in task instead: digits, sine or vibration."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the variants "
                                                                 "(default reports/variants/NAME)."),
    variant: Optional[List[str]] = typer.Option(None, "--variant", "-v",
                                                help="Make only these variants: -v int8,fp32 or repeat -v."),
    exclude: Optional[List[str]] = typer.Option(None, "--exclude", "-x", help="Leave these variants out: -x qat-int8."),
    kind: str = typer.Option("auto", "--kind", help="For a model file: classifier, regression, anomaly or auto; "
                             "one per output for a model with several: classifier,regression."),
    seed: int = typer.Option(0, "--seed", help="Seed for data, initialisation and shuffling."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Worker processes, one variant each at a time (default: one per core)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Most epochs of QAT, pruning and clustering "
                                         "(default: 30 for a model file, the task's own for a built-in task)."),
    student_epochs: Optional[int] = typer.Option(None, "--student-epochs",
                                                 help="Most epochs of the distilled student."),
    patience: Optional[int] = typer.Option(None, "--patience", help="Stop training once held-out loss has not "
                                           "improved for this many epochs; 0 runs every epoch (default: 3 for "
                                           "a model file, 0 for a built-in task)."),
    learning_rate: Optional[float] = typer.Option(None, "--learning-rate", help="Fine-tuning learning rate."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Training batch size (default 64)."),
    pruning_schedule: Optional[str] = typer.Option(None, "--pruning-schedule",
                                                   help="polynomial (sparsity rises to its target) or constant."),
    pruning_epochs: Optional[int] = typer.Option(None, "--pruning-epochs",
                                                 help="Epochs for sparsity to reach its target."),
    student_width: Optional[float] = typer.Option(None, "--student-width", help="A model file's student: this "
                                                  "share of the teacher's units and filters (default 0.5)."),
    temperature: Optional[float] = typer.Option(None, "--temperature",
                                                help="Distillation temperature (default 4)."),
) -> None:
    """Make a model's variants (fp32, fp16, dynamic-int8, int8, int16x8, qat-int8,
    pruned50-int8, pruned80-int8, clustered16-int8, distilled-int8; prunedNN-int8 and clusteredN-int8 for
    other sparsities and cluster counts), score each on the host with the TFLM interpreter,
    and write them with variants.json. A variant no better than a constant answer is marked
    collapsed. `emu bench OUT` then measures them.

    Example: emu variants --task digits --out reports/variants/digits

    Example: emu variants --model kws kws_int8.tflite kws_fp32.tflite --data kws.npz
    """
    from emu.extras import require_extra
    from emu.results.sweep import default_jobs
    from emu.variants.make import check_replaceable, make_variants
    from emu.variants.recipes import chosen_variants

    names = chosen_variants(variant, exclude)  # a typo should fail before any training
    if out:
        check_replaceable(out)
    files = files or []
    if any(f.suffix == ".tflite" for f in files):
        return score_tflite(files, data, kind, out, model_name)
    if len(files) > 1:
        raise EmuError(f"give one Keras model to make variants of (got {len(files)} files); several .tflite "
                       f"files are scored as variants of one model")
    if model_name:
        raise EmuError("--model names the model that .tflite files are variants of; a Keras model is named by "
                       "its file")
    model = files[0] if files else None
    require_extra("variants")  # before any worker starts: a worker would find out on its own
    settings = {"finetune_epochs": epochs, "student_epochs": student_epochs, "patience": patience,
                "learning_rate": learning_rate, "batch_size": batch_size, "pruning_schedule": pruning_schedule,
                "pruning_epochs": pruning_epochs, "student_width": student_width, "temperature": temperature}
    source = task_source(model, data, task, kind, seed, {k: v for k, v in settings.items() if v is not None})
    name = task or model.stem
    folder = out or Path("reports/variants") / name
    names = [n for n in names if not skipped_for_outputs(n, source.kind)]
    if not names:
        raise EmuError("no variant left to make for a model with several outputs")
    say(f"making variants of {name} ({source.kind}, {'built-in task' if task else model}) in {folder}")
    failures = []
    records = make_variants(source, folder, names, progress=say, failures=failures,
                            workers=jobs or default_jobs())
    print(format_variants(records))
    print_output_metrics(records)
    print_collapsed(records)
    for f in failures:
        print(f"failed: {f.variant}: {f.reason}")
    print(f"\n{folder / 'variants.json'}")
    if failures:
        raise CheckFailed(f"{len(failures)} of {len(names)} variants could not be made "
                          f"({', '.join(f.variant for f in failures)}); the other {len(records)} were written")


def skipped_for_outputs(variant: str, kind: str) -> bool:
    """True, said on stderr with the reason, when `variant` cannot be made of a model with
    several outputs (its kind names one per output)."""
    from emu.variants.recipes import NOT_FOR_SEVERAL_OUTPUTS

    reason = NOT_FOR_SEVERAL_OUTPUTS.get(variant)
    if reason and "," in kind:
        say(f"{variant} is not made: {reason}")
        return True
    return False


def score_tflite(files: list[Path], data: Optional[Path], kind: str, out: Optional[Path],
                 model_name: Optional[str]) -> None:
    """.tflite files scored as they are, as the variants of one model."""
    from emu.variants.make import score_files
    from emu.variants.userfile import tflite_task, variant_names

    others = [f for f in files if f.suffix != ".tflite"]
    if others:
        raise EmuError(f"{others[0]} is not a .tflite file: give either one Keras model or .tflite files")
    if not data:
        raise EmuError("give the data to score the model with: --data DATA.npz")
    name = model_name or files[0].stem
    if len(files) == 1 and not model_name:
        variants = [name]  # one file is its own model and variant, as before
    else:
        variants = variant_names(files, name)
    task, first = tflite_task(files[0], data, kind, name)
    models = [(variants[0], first)]
    for path, variant in zip(files[1:], variants[1:], strict=True):
        # the first file's kind (given or inferred) holds for all: one model, one way to score it
        models.append((variant, tflite_task(path, data, task.kind, name)[1]))
    folder = out or Path("reports/variants") / task.name
    records = score_files(task, models, folder)
    print(format_variants(records))
    print_output_metrics(records)
    print_collapsed(records)
    print(f"\n{folder / 'variants.json'}")


def task_source(model: Optional[Path], data: Optional[Path], task: Optional[str], kind: str, seed: int,
                settings: dict):
    """The task to make variants of, checked as far as it can be without training it."""
    from emu.variants.parallel import TaskSource

    if task and (model or data):
        raise EmuError("give either --task NAME or MODEL --data DATA.npz, not both")
    pairs = tuple(sorted(settings.items()))
    if task:
        from emu.variants.builtin import builtin_spec, builtin_training

        builtin_training(task, settings)
        return TaskSource(builtin=task, kind=builtin_spec(task).kind, seed=seed, settings=pairs)
    if not model or not data:
        raise EmuError("give MODEL.keras --data DATA.npz, or --task NAME (digits, sine, vibration)")
    from emu.variants.userfile import file_task

    loaded = file_task(model, data, kind, seed, settings)  # a bad file, label or setting is refused here, once
    return TaskSource(model=model, data=data, kind=loaded.kind, seed=seed, settings=pairs)


def format_variants(records) -> str:
    headers = ("variant", "metric", "value", "reference", "bytes", "zeros", "unique/ch", "device")
    rows = [(r.variant, r.metric, f"{r.value:.4f}" + (" collapsed" if r.collapsed else ""), r.reference,
             f"{r.file_bytes:,}", f"{r.weight_sparsity:.1%}",
             str(r.unique_weight_values), device_cell(r) if r.runs_on_device else "no: " + short_reason(r))
            for r in records]
    return table_text(headers, rows, right=(2, 4, 5, 6))


def print_output_metrics(records) -> None:
    """A model with several outputs: each variant's metric per output (the table shows output 0's)."""
    for r in records:
        if r.metrics:
            print(f"outputs: {r.variant}: " + ", ".join(f"{k} {v:.4f}" for k, v in r.metrics.items()))


def print_collapsed(records) -> None:
    for r in records:
        if r.collapsed:
            print(f"collapsed: {r.variant}: {r.collapsed}; it is never recommended")


def device_cell(record) -> str:
    """'yes', and how the device build stores the filters when the record says."""
    if record.weight_format is None:
        return "yes"
    return f"yes: {record.weight_format}, {record.weight_flash_bytes:,} B filters"


def short_reason(record) -> str:
    reason = (record.not_runnable_reason or "").removeprefix("not runnable on the device: ")
    return reason if len(reason) <= 70 else reason[:67] + "..."




def validate(
    model: Optional[Path] = typer.Argument(None, help="The .tflite model; needs --data."),
    platform: str = typer.Option(..., "--platform", "-p", help="Board name (see `emu platforms`) or a platform "
                                                               "YAML file."),
    data: Optional[Path] = typer.Option(None, "--data", help="DATA.npz with x_train, y_train, x_test, y_test "
                                                            "(as for `emu variants`); the test split is run."),
    task: Optional[str] = typer.Option(None, "--task", help="A built-in task instead: digits, sine or vibration."),
    variant: str = typer.Option("int8", "--variant", "-v", help="With --task: the variant to validate."),
    samples: Optional[int] = typer.Option(None, "--samples", "-n", min=1,
                                          help="Run the first N test samples (default: all)."),
    kind: str = typer.Option("auto", "--kind", help="For a model file: classifier, regression, anomaly or auto."),
    emulator: Optional[str] = typer.Option(None, "--emulator", help="Emulator backend: qemu (default) or renode."),
    kernels: Optional[str] = typer.Option(None, "--kernels", help="Kernel set: reference or optimized "
                                                                  "(default: the board's)."),
) -> None:
    """Run test samples through the model's firmware on the emulated board (one boot, many
    inferences) and report device accuracy (or error), per class, and agreement with the
    TFLM interpreter sample by sample. Exit 1 when an output differs from the reference's.

    Example: emu validate model_int8.tflite -p nucleo-l4r5zi --data data.npz --samples 1000
    """
    from emu.emulators import select_emulator
    from emu.platforms import get_platform
    from emu.variants.validate import first_samples, validation_text
    from emu.variants.validate import validate as run_validation

    select_emulator(emulator)
    board = get_platform(platform)
    if task and (model or data):
        raise EmuError("give either MODEL.tflite --data DATA.npz or --task NAME, not both")
    if task:
        from emu.orchestrate.validation import task_variant

        model, kind, x, y = task_variant(task, variant, progress=say)
        where = f"task {task}"
    else:
        if not model or not data:
            raise EmuError("give MODEL.tflite --data DATA.npz, or --task NAME (digits, sine, vibration)")
        if model.suffix != ".tflite":
            raise EmuError(f"{model.name} is not a .tflite file: emu validate runs a converted model")
        from emu.variants.userfile import tflite_task

        loaded, _ = tflite_task(model, data, kind)
        kind, x, y, where = loaded.kind, loaded.data.x_test, loaded.data.y_test, str(data)
    x, y = first_samples(x, y, samples, where)
    result = run_validation(model, board, kind, x, y, kernels, progress=say)
    print(validation_text(result))
    if not result.agrees:
        raise CheckFailed(f"{result.beyond_tolerance} of {result.samples} samples' outputs differ from the "
                          f"{result.host.reference} reference")
