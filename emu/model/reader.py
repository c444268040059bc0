"""Read a .tflite file into a Graph: tensors, operators and their options, as plain values.

The flatbuffer is read through the generated schema classes of the `tflite` package; this
module only turns them into data classes that the rest of emu can read without the schema.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

import numpy as np
import tflite

from emu.errors import EmuError, escaped, shown
from emu.model.graph import Graph, Operator, Quantization, Subgraph, Tensor
from emu.model.validate import check_shape, validate

# The largest model file read: more than any board's flash, and a bound on what a wrong path
# (a device, a pipe, a huge file) can make emu read. EMU_MAX_MODEL_BYTES overrides it.
MAX_MODEL_BYTES = 64 * 1024 * 1024
MAX_MODEL_BYTES_CEILING = 1 << 40  # what EMU_MAX_MODEL_BYTES may raise it to: no model is a terabyte


def _enum_names(enum) -> dict[int, str]:
    """A schema enum class of the `tflite` package as value -> name."""
    return {v: k for k, v in vars(enum).items() if isinstance(v, int) and not k.startswith("_")}


_TENSOR_TYPE_NAMES = _enum_names(tflite.TensorType)
# Types numpy holds element by element, by their schema name ("UINT32" -> "uint32"). The rest
# (INT4 packed two to a byte, STRING, COMPLEX, VARIANT, BFLOAT16) are named in the error.
_NUMPY_TYPES = {"FLOAT32", "FLOAT16", "FLOAT64", "INT8", "INT16", "INT32", "INT64",
                "UINT8", "UINT16", "UINT32", "UINT64", "BOOL"}
_TENSOR_TYPES = {v: k.lower() for v, k in _TENSOR_TYPE_NAMES.items() if k in _NUMPY_TYPES}
# A resource tensor (VAR_HANDLE's output) holds the id of a resource variable, an int32 in TFLM.
_RESOURCE_TYPE = "int32"
_PADDING = _enum_names(tflite.Padding)
_ACTIVATION = _enum_names(tflite.ActivationFunctionType)
_OPTION_CLASSES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if isinstance(v, int)}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _read_options(op) -> dict:
    kind = op.BuiltinOptionsType()
    table = op.BuiltinOptions()
    if not kind or table is None:
        return {}
    class_name = _OPTION_CLASSES.get(kind)
    cls = getattr(tflite, class_name, None) if class_name else None
    if cls is None:
        return {}
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    values = {}
    for name in dir(cls):
        skipped = name == "Init" or name.startswith("GetRootAs") or name.endswith(("IsNone", "Length"))
        if not name[0].isupper() or skipped:
            continue
        method = getattr(opts, name)
        try:
            value = method()
        except TypeError:  # vector accessors take an index; their *AsNumpy twin is read instead
            continue
        if name.endswith("AsNumpy"):
            name = name[: -len("AsNumpy")]
            value = value.tolist() if isinstance(value, np.ndarray) else []
        values[_snake(name)] = value
    if "padding" in values:
        values["padding"] = _PADDING.get(values["padding"], values["padding"])
    if "fused_activation_function" in values:
        # an unknown number stays a number, for validate.py to name
        values["fused_activation_function"] = _ACTIVATION.get(values["fused_activation_function"],
                                                              values["fused_activation_function"])
    return values


def _read_quantization(t) -> Quantization | None:
    q = t.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None
    scale = tuple(float(s) for s in q.ScaleAsNumpy())
    zero = tuple(int(z) for z in q.ZeroPointAsNumpy()) if q.ZeroPointLength() else (0,) * len(scale)
    return Quantization(scale=scale, zero_point=zero, axis=q.QuantizedDimension())


def _opcode_name(code) -> str:
    # The schema keeps small opcodes in a deprecated byte field and larger ones in a wider one.
    number = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    name = tflite.BUILTIN_OPCODE2NAME.get(number, f"BUILTIN_{number}")
    custom = code.CustomCode()
    # A custom code names the operator even where the builtin code was left at 0 (ADD), as
    # TFLM's compressor writes its DECODE operator.
    if name == "CUSTOM" or (custom and number == 0):
        return f"CUSTOM:{custom.decode(errors='replace') if custom else '?'}"  # shown() in messages
    return name


def parse_model(buf: bytes, name: str = "model", validated: bool = True) -> Graph:
    """Parse .tflite bytes; raise EmuError with one line for anything that is not a valid model.
    validated=False skips the checks of emu/model/validate.py, for the reference interpreters'
    own bookkeeping: there TFLM, not emu, judges the model."""
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise EmuError(f"{name}: not a TensorFlow Lite model (no 'TFL3' identifier)")
    try:
        graph, buffer_count = _parse(buf, name)
    except EmuError:
        raise
    except Exception as e:  # the flatbuffer reader raises anything from struct errors to IndexError
        raise EmuError(f"{name}: the .tflite file is truncated or corrupted ({type(e).__name__})") from None
    if validated:
        validate(graph, buffer_count)
    return graph


def _parse(buf: bytes, name: str) -> tuple[Graph, int]:
    model = tflite.Model.GetRootAsModel(buf, 0)
    if model.SubgraphsLength() < 1:
        raise EmuError(f"{name}: the model has no subgraph")
    opcodes = [_opcode_name(model.OperatorCodes(i)) for i in range(model.OperatorCodesLength())]
    tensors: list[Tensor] = []
    parts = []  # per subgraph: its name, operators, inputs and outputs, indices into `tensors`
    # Operators read once per table: a file may list one table many times (a few bytes per
    # entry), and reading its options again for each entry would cost far more than the file.
    read: dict[int, tuple[str, tuple[int, ...], tuple[int, ...], dict]] = {}
    for k in range(model.SubgraphsLength()):
        graph = model.Subgraphs(k)
        first = len(tensors)  # this subgraph's tensors follow the ones before (emu.model.graph.Graph)
        for i in range(graph.TensorsLength()):
            tensors.append(_read_tensor(buf, model, graph.Tensors(i), first + i, name))

        def shifted(indices, first=first) -> tuple[int, ...]:
            return tuple(int(x) + first if x >= 0 else int(x) for x in indices)

        operators = []
        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            fields = read.get(op._tab.Pos)
            if fields is None:
                if op.OpcodeIndex() >= len(opcodes):
                    raise EmuError(f"{name}: operator {i} has opcode {op.OpcodeIndex()}, "
                                   f"but the model defines {len(opcodes)} opcodes")
                fields = read[op._tab.Pos] = (
                    opcodes[op.OpcodeIndex()],
                    tuple(int(x) for x in op.InputsAsNumpy()) if op.InputsLength() else (),
                    tuple(int(x) for x in op.OutputsAsNumpy()) if op.OutputsLength() else (),
                    _read_options(op),
                )
            kind, inputs, outputs, options = fields
            operators.append(Operator(index=i, op=kind, inputs=shifted(inputs), outputs=shifted(outputs),
                                      options=dict(options), subgraph=k))
        parts.append(((graph.Name() or b"").decode(errors="replace"), operators,
                      list(shifted(graph.InputsAsNumpy())) if graph.InputsLength() else [],
                      list(shifted(graph.OutputsAsNumpy())) if graph.OutputsLength() else []))
    (_, operators, inputs, outputs), others = parts[0], parts[1:]
    return Graph(
        name=name,
        sha256=hashlib.sha256(buf).hexdigest(),
        tensors=tensors,
        operators=operators,
        inputs=inputs,
        outputs=outputs,
        subgraphs=[Subgraph(*part) for part in others],
    ), model.BuffersLength()


def _read_tensor(buf: bytes, model, t, index: int, name: str) -> Tensor:
    dtype = _RESOURCE_TYPE if t.Type() == tflite.TensorType.RESOURCE else _TENSOR_TYPES.get(t.Type())
    if dtype is None:
        kind = _TENSOR_TYPE_NAMES.get(t.Type(), f"unknown TensorType {t.Type()}")
        raise EmuError(f"{name}: tensor {index} has type {kind}, which emu does not support")
    shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
    tensor_name = (t.Name() or b"").decode(errors="replace")
    check_shape(name, index, tensor_name, shape)  # before any buffer is sized by it
    data = None
    buffer = model.Buffers(t.Buffer()) if t.Buffer() < model.BuffersLength() else None
    if buffer is not None:
        raw = _buffer_bytes(buf, buffer)
        if raw is not None:
            data = _constant(raw, dtype, shape, f"{name}: tensor {index} ({shown(tensor_name)})")
    return Tensor(index, tensor_name, shape, dtype, _read_quantization(t), data, buffer=t.Buffer(),
                  variable=bool(t.IsVariable()))


def _constant(raw: bytes, dtype: str, shape: tuple[int, ...], where: str) -> np.ndarray:
    need = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if len(raw) != need:
        raise EmuError(f"{where}: its buffer holds {len(raw)} bytes, but shape {list(shape)} of {dtype} needs {need}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _buffer_bytes(buf: bytes, buffer) -> bytes | None:
    if buffer.DataLength():
        return buffer.DataAsNumpy().tobytes()
    # Models over 2 GB keep buffers after the flatbuffer, addressed by offset and size.
    offset = buffer.Offset() if hasattr(buffer, "Offset") else 0
    size = buffer.Size() if hasattr(buffer, "Size") else 0
    if offset > 1 and size:
        if offset + size > len(buf):
            raise EmuError("a weight buffer points past the end of the file")
        return buf[offset:offset + size]
    return None


def max_model_bytes() -> int:
    text = os.environ.get("EMU_MAX_MODEL_BYTES")
    if text is None:
        return MAX_MODEL_BYTES
    try:
        value = int(text)
    except ValueError:  # not a number, or one of more than 4,300 digits
        value = 0
    if not 0 < value <= MAX_MODEL_BYTES_CEILING:
        raise EmuError(f"EMU_MAX_MODEL_BYTES must be a positive number of bytes, at most "
                       f"{MAX_MODEL_BYTES_CEILING:,} (1 TiB), not '{shown(text)}'")
    return value


def read_model_bytes(path: str | Path) -> bytes:
    """The bytes of a model file: a regular file (not a pipe or a device, which could block
    or never end) of at most max_model_bytes()."""
    path = Path(path)
    shown_path = shown(str(path), limit=200)
    limit = max_model_bytes()
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise EmuError(f"model {shown_path} is not a regular file")
        if info.st_size > limit:
            raise EmuError(f"model {shown_path} has {info.st_size:,} bytes, more than the limit of "
                           f"{limit:,} (set EMU_MAX_MODEL_BYTES to raise it)")
        with open(path, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # replaced since the check
                raise EmuError(f"model {shown_path} is not a regular file")
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise EmuError(f"model file not found: {shown_path}") from None
    except IsADirectoryError:
        raise EmuError(f"model {shown_path} is not a regular file") from None
    except OSError as e:
        raise EmuError(f"cannot read model file {shown_path}: {e.strerror}") from None
    if len(data) > limit:
        raise EmuError(f"model {shown_path} is larger than the limit of {limit:,} bytes "
                       "(set EMU_MAX_MODEL_BYTES to raise it)")
    return data


def model_name(path: str | Path) -> str:
    """The name results and messages call a model by: its file's stem, escaped."""
    return escaped(Path(path).stem)


def read_model(path: str | Path) -> Graph:
    return parse_model(read_model_bytes(path), name=model_name(path))
