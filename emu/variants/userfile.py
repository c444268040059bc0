"""A task from the user's files: a trained Keras model (or a .tflite file the user converted,
scored as it is) and DATA.npz, checked against each other.

The kind of model (classifier, regression, anomaly autoencoder) is given or inferred from
the labels' shape and content: an output shaped like the input with 0/1 test labels is an
autoencoder; class numbers, or one-hot rows (one 1 per row, as many columns as the model has
outputs), with one output per class a classifier; anything else a regression. A model with
several outputs has labels per output (y_train_0, y_test_0, ...; emu/variants/data.py), and
each output's kind is inferred (or given, --kind classifier,regression) the same way; an
autoencoder has one output. One line says what was inferred, so that a surprise shows before
any training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emu.console import say
from emu.errors import EmuError
from emu.variants.data import Dataset, load_npz
from emu.variants.keras_files import load_keras_model
from emu.variants.students import narrower_student
from emu.variants.task import KINDS, METRICS, Task, Training, training_with

# A user's model has no tuned epoch counts: train until held-out loss stops improving, up to a cap.
FILE_TRAINING = Training(finetune_epochs=30, student_epochs=60, patience=3, pruning_epochs=4)


def file_task(model_path: Path, data_path: Path, kind: str = "auto", seed: int = 0,
              settings: dict | None = None) -> Task:
    """`settings` change how the variants train (Training.with_settings on FILE_TRAINING)."""
    check_kind(kind)
    training = training_with(FILE_TRAINING, settings or {})
    data = load_npz(data_path)
    teacher = load_keras_model(model_path)
    if len(teacher.inputs) != 1:
        raise EmuError(f"{model_path} has {len(teacher.inputs)} inputs; emu scores models with one")
    shapes = Shapes(tuple(teacher.inputs[0].shape[1:]), tuple(tuple(t.shape[1:]) for t in teacher.outputs))
    data, kind = checked_task_data(shapes, data, kind, model_path, data_path)
    return Task(name=model_path.stem, kind=kind, data=data, teacher=teacher,
                make_student=lambda: narrower_student(teacher, training.student_width), training=training, seed=seed,
                source=str(model_path))


def tflite_task(model_path: Path, data_path: Path, kind: str = "auto", name: str | None = None) -> tuple[Task, bytes]:
    """A .tflite file the user converted, to be scored with their data as it is (no training);
    `name`: the model it is a variant of (default: the file's stem)."""
    from emu.model.reader import parse_model, read_model_bytes

    check_kind(kind)
    data = load_npz(data_path)
    model = read_model_bytes(model_path)
    graph = parse_model(model, name=model_path.stem)
    if len(graph.inputs) != 1 or not graph.outputs:
        raise EmuError(f"{model_path} has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs; emu scores "
                       f"models with one input")
    shapes = Shapes(tuple(graph.tensors[graph.inputs[0]].shape[1:]),
                    tuple(tuple(graph.tensors[t].shape[1:]) for t in graph.outputs))
    data, kind = checked_task_data(shapes, data, kind, model_path, data_path)
    return Task(name=name or model_path.stem, kind=kind, data=data, teacher=None, make_student=lambda: None,
                training=FILE_TRAINING, source=str(model_path),
                output_sizes=tuple(int(o[-1]) if o else 1 for o in shapes.outputs)), model


def variant_names(paths: list[Path], model: str) -> list[str]:
    """Each file's variant name: its stem, less `model` and a separator when it starts with them
    (kws_int8.tflite of model kws is variant int8); two files may not give one name."""
    names = []
    for path in paths:
        stem = path.stem
        for separator in ("_", "-", "."):
            if stem.startswith(model + separator) and len(stem) > len(model) + 1:
                stem = stem[len(model) + 1:]
                break
        names.append(stem)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise EmuError(f"two files would be variant {repeated[0]!r} of {model}: give files with different names")
    return names


@dataclass(frozen=True)
class Shapes:
    """A model's input and output shapes, without the batch dimension (`outputs`: one per output)."""

    input: tuple
    outputs: tuple

    @property
    def output(self) -> tuple:
        return self.outputs[0]


def check_kind(kind: str) -> None:
    """'auto', one of KINDS, or one of KINDS per output joined by commas."""
    for one in kind.split(","):
        if one != "auto" and one not in KINDS or (one == "auto" and kind != "auto"):
            raise EmuError(f"unknown kind {kind!r} (kinds: auto, {', '.join(KINDS)}; for a model with several "
                           f"outputs one per output, as classifier,regression)")


def checked_task_data(shapes: Shapes, data: Dataset, kind: str, model_path: Path,
                      data_path: Path) -> tuple[Dataset, str]:
    """The data with one-hot labels read as class numbers, and the kind (inferred when 'auto';
    one per output joined by commas for a model with several)."""
    check_input_shape(shapes, data, model_path)
    count = len(shapes.outputs)
    if data.outputs != count:
        raise EmuError(f"{model_path.name} has {count} outputs but {data_path.name} has labels for {data.outputs}"
                       + ("" if count == 1 else f": give y_train_0, y_test_0 ... y_train_{count - 1}, "
                                                f"y_test_{count - 1}"))
    kinds = ["auto"] * count if kind == "auto" else kind.split(",")
    if len(kinds) != count:
        raise EmuError(f"--kind {kind} gives {len(kinds)} kind{'s' * (len(kinds) > 1)} but {model_path.name} has "
                       f"{count} output{'s' * (count > 1)}: give one per output, as classifier,regression")
    if count == 1:
        data, kind, form = checked_output(shapes.input, shapes.output, data, kind, data_path, "")
        if form:
            say(f"{data_path.name}: labels are {form}, so {model_path.name} is taken as a {kind} "
                f"(scored by {METRICS[kind]}); give --kind to override")
        return data, kind
    trains, tests, readings = [], [], []
    for i, (output, given) in enumerate(zip(shapes.outputs, kinds, strict=True)):
        one = Dataset(data.x_train, data.y_train[i], data.x_test, data.y_test[i])
        if given != "anomaly":
            one, kinds[i], form = checked_output(shapes.input, output, one, given, data_path, f"_{i}")
        if "anomaly" in (given, kinds[i]):
            raise EmuError(f"output {i} of {model_path.name}: an anomaly autoencoder has one output; give "
                           f"--kind with classifier or regression for each output")
        trains.append(one.y_train)
        tests.append(one.y_test)
        readings.append(f"output {i} " + (f"from {form} as a {kinds[i]}" if form else f"as a {kinds[i]}")
                        + f" (scored by {METRICS[kinds[i]]})")
    if kind == "auto":  # as for one output: said when inferred, not again by each worker given the kinds
        say(f"{data_path.name}: {model_path.name} has {count} outputs, read as: {'; '.join(readings)}; "
            f"give --kind to override")
    return Dataset(data.x_train, trains, data.x_test, tests), ",".join(kinds)


def checked_output(input_shape: tuple, output: tuple, data: Dataset, kind: str, data_path: Path,
                   suffix: str) -> tuple[Dataset, str, str]:
    """One output's labels (one-hot rows read as class numbers), its kind, and how its labels
    were read when the kind was inferred ('' when given). `suffix`: the label arrays' "_<i>"."""
    shapes = Shapes(input_shape, (output,))
    classes = int(output[-1] or 0) if output else 0
    one_hot = all(is_one_hot(y, classes) for y in (data.y_train, data.y_test))
    if one_hot and kind in ("auto", "classifier"):
        data = Dataset(data.x_train, np.argmax(data.y_train, axis=1), data.x_test, np.argmax(data.y_test, axis=1))
    form = ""
    if kind == "auto":
        kind = infer_kind(shapes, data)
        form = "one-hot rows" if one_hot else labels_form(data.y_train)
    check_targets(kind, shapes, data, data_path, suffix)
    return data, kind, form


def check_input_shape(shapes: Shapes, data: Dataset, model_path: Path) -> None:
    wanted = shapes.input
    if None in wanted:
        raise EmuError(f"{model_path} takes inputs of shape {shape_text(wanted)}: a device model needs every "
                       f"size fixed")
    for split, x in (("x_train", data.x_train), ("x_test", data.x_test)):
        if tuple(x.shape[1:]) != tuple(wanted):
            raise EmuError(f"{split} samples have shape {shape_text(x.shape[1:])} but {model_path.name} takes "
                           f"{shape_text(wanted)}")


def infer_kind(shapes: Shapes, data: Dataset) -> str:
    output = tuple(shapes.output)
    if output == tuple(shapes.input) and set(np.unique(data.y_test)) <= {0, 1}:
        return "anomaly"
    if integral(data.y_train) and data.y_train.ndim == 1 and output[-1:] != (1,):
        return "classifier"
    return "regression"


def check_targets(kind: str, shapes: Shapes, data: Dataset, data_path: Path, suffix: str = "") -> None:
    output = tuple(shapes.output)
    if kind == "classifier":
        classes = output[-1]
        for split, y in ((f"y_train{suffix}", data.y_train), (f"y_test{suffix}", data.y_test)):
            if not integral(y) or y.min() < 0 or y.max() >= classes:
                raise EmuError(f"{split} in {data_path} must hold class numbers 0..{classes - 1} for a "
                               f"{classes}-class model")
    elif kind == "anomaly":
        if output != tuple(shapes.input):
            raise EmuError(f"an anomaly model must reconstruct its input: output {shape_text(output)}, "
                           f"input {shape_text(shapes.input)}")
        if set(np.unique(data.y_test)) != {0, 1}:
            raise EmuError(f"y_test in {data_path} must mark normal samples 0 and anomalies 1, with both present")
    else:
        for split, y in ((f"y_train{suffix}", data.y_train), (f"y_test{suffix}", data.y_test)):
            if y[0].size != int(np.prod(output)):
                raise EmuError(f"{split} rows have {y[0].size} values but the model outputs {shape_text(output)}")


def is_one_hot(y: np.ndarray, classes: int) -> bool:
    """One 1 and otherwise 0 in each row, a column per class (Keras's categorical labels)."""
    return (classes > 1 and y.ndim == 2 and y.shape[1] == classes and bool(np.all((y == 0) | (y == 1)))
            and bool(np.all(y.sum(axis=1) == 1)))


def labels_form(y: np.ndarray) -> str:
    if integral(y) and y.ndim == 1:
        return f"class numbers ({len(np.unique(y))} distinct)"
    return f"values of shape {shape_text(y.shape[1:])}"


def integral(y: np.ndarray) -> bool:
    return y.dtype.kind in "biu" or (y.dtype.kind == "f" and bool(np.all(np.mod(y, 1) == 0)))


def shape_text(shape) -> str:
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ")"
