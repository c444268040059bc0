"""The built-in default job: a model emu makes itself, on boards with and without an FPU."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from emu.cache import atomic_write, ensure_folder
from emu.platforms import get_platform
from emu.results.bench import bench, format_table
from emu.results.record import write_csv, write_json

DEFAULT_BOARDS = ("rp2040-pico", "nucleo-l152re", "nucleo-l4r5zi", "disco-f746ng")


def run_demo(out: Path, boards: list[str] | None, progress: Callable[[str], None]) -> None:
    from emu.variants.example import (
        convert_float32,
        convert_int8,
        digits_data,
        digits_model,
        tflm_accuracy,
    )

    platforms = [get_platform(b) for b in (boards or DEFAULT_BOARDS)]
    ensure_folder(out)
    progress("training the example model: a digits CNN on scikit-learn's bundled 8x8 digits")
    data = digits_data()
    model = digits_model(data)
    variants = {"fp32": convert_float32(model), "int8": convert_int8(model, data.x_train)}
    accuracy = {}
    paths = []
    for name, blob in variants.items():
        path = out / f"digits_{name}.tflite"
        atomic_write(path, blob)
        paths.append((path, name))
        accuracy[name] = tflm_accuracy(blob, data.x_test, data.y_test)
        progress(f"  {name}: {len(blob):,} bytes, test accuracy {accuracy[name]:.1%} (TFLM interpreter)")
    results = bench(paths, platforms, progress=progress).results
    write_json(results, out / "results.json")
    write_csv(results, out / "results.csv")
    atomic_write(out / "accuracy.json", json.dumps(accuracy, indent=2) + "\n")
    table = format_table(results)
    atomic_write(out / "summary.txt", table + "\n")
    print(table)
    print(f"\naccuracy (TFLM interpreter, {len(data.y_test)} test images): "
          + ", ".join(f"{k} {v:.1%}" for k, v in accuracy.items()))
    print(f"results: {out / 'results.json'}, {out / 'results.csv'}")
