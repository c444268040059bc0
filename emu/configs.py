"""Config files (boards, scenarios, gate tolerances): read safely, checked against a
pydantic model, and refused in one line that names the file and the field.

Reading is bounded: only a regular file of at most MAX_BYTES is read (a FIFO or a device
would block or never end), and a YAML document may expand to at most MAX_NODES values once
its aliases are followed (a few hundred bytes of nested aliases can otherwise stand for
billions of values). What a caller gets back is the model's plain values; pydantic objects
stay inside the loaders.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from emu.errors import EmuError

MAX_BYTES = 1 << 20  # 1 MiB: a config file is a page of text
MAX_NODES = 100_000  # values after alias expansion; the shipped files have a few hundred

Model = TypeVar("Model", bound=BaseModel)


class _BoundedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a document whose aliases expand beyond MAX_NODES values."""

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            _expanded_size(node)
        return node


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document holds with every alias copied out, counting shared nodes
    once per use (memoised, so an alias bomb is measured without being expanded)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise EmuError("an alias refers to the collection that contains it")
        on_path.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        on_path.discard(key)
        if total > MAX_NODES:
            raise EmuError(f"more than {MAX_NODES:,} values once its aliases are expanded")
        sizes[key] = total
        return total

    return size(root)


def read_yaml(path: Path) -> object:
    """The YAML document in a regular file of at most MAX_BYTES; EmuError naming the file otherwise."""
    path = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the file is checked before reading.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise EmuError(f"{path}: no such file") from None
    except OSError as e:
        raise EmuError(f"{path}: cannot open: {e.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EmuError(f"{path}: not a regular file")
        if info.st_size > MAX_BYTES:
            raise EmuError(f"{path}: {info.st_size:,} bytes, more than the {MAX_BYTES:,} a config file may have")
        raw = b""
        while len(raw) <= MAX_BYTES and (chunk := os.read(fd, MAX_BYTES + 1 - len(raw))):
            raw += chunk  # the file may have grown since fstat: never more than MAX_BYTES + 1
    except OSError as e:
        raise EmuError(f"{path}: cannot read: {e.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise EmuError(f"{path}: more than the {MAX_BYTES:,} bytes a config file may have")
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_BoundedLoader)  # a SafeLoader subclass: no arbitrary objects
    except UnicodeDecodeError:
        raise EmuError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as e:
        raise EmuError(f"{path}: not valid YAML: {_yaml_problem(e)}") from None
    except EmuError as e:
        raise EmuError(f"{path}: {e}") from None
    except RecursionError:
        raise EmuError(f"{path}: nested too deeply") from None


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


def validated(model: type[Model], data: object, where: str, prefix: tuple = ()) -> Model:
    """data checked against model; EmuError with one line naming where and the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise EmuError(describe_error(e, where, prefix)) from None


def describe_error(error: ValidationError, where: str, prefix: tuple = ()) -> str:
    """pydantic's first complaint as 'FILE: field.path[2].name: what is wrong (got VALUE)'."""
    errors = error.errors(include_url=False)
    first = errors[0]
    location = field_path((*prefix, *first["loc"]))
    message = _message(first)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {location + ': ' if location else ''}{message}{more}"


def field_path(loc: tuple) -> str:
    """('models', 2, 'task') -> 'models[2].task'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(error: dict) -> str:
    kind, text, value = error["type"], error["msg"], error["input"]
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of fields (got {_shown(value)})"
    if kind == "too_short":
        n = error["ctx"]["min_length"]
        return f"must list at least {n} item{'s' if n != 1 else ''}"
    if kind == "value_error":  # emu's own check: its message says what it got
        return text.removeprefix("Value error, ")
    if text.startswith("Input should be "):
        text = "must be " + text.removeprefix("Input should be ")
    else:
        text = text[:1].lower() + text[1:]
    return text if isinstance(value, dict) else f"{text} (got {_shown(value)})"


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
