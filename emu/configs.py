"""Files from users: YAML config files (boards, scenarios, gate tolerances) and JSON
documents (results, variants), read safely, checked against a pydantic model, and refused
in one line that names the file and the field.

Reading is bounded: only a regular file of at most MAX_BYTES (a config file) or
MAX_JSON_BYTES (a results file) is read, since a FIFO or a device would block or never end.
A YAML document may expand to at most MAX_NODES values once its aliases are followed (a few
hundred bytes of nested aliases can otherwise stand for billions of values), and may not
give one key twice (YAML's loader would keep the last one silently). A JSON document may
nest at most MAX_DEPTH levels, measured before it is parsed (json.loads recurses once per
level and gives up with a RecursionError near a thousand), and may not give one key twice
either. What a caller gets back is the model's plain values; pydantic objects stay inside
the loaders.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import BaseModel, Field, Strict, TypeAdapter, ValidationError

from emu.errors import EmuError, first_line, shown

MAX_BYTES = 1 << 20  # 1 MiB: a config file is a page of text
MAX_NODES = 100_000  # values after alias expansion; the shipped files have a few hundred
MAX_JSON_BYTES = 256 << 20  # a results file of a sweep of thousands of runs is a few MiB
MAX_DEPTH = 32  # JSON nesting; emu's own files nest five levels

Model = TypeVar("Model", bound=BaseModel)

# Values read from users' JSON files, of exactly their kind (strict: a count written "12", a
# name written 12 or null, a flag written 1 are refused): counts (cycles, bytes) and measures
# (milliseconds, microjoules) are non-negative and finite, and a count fits in 63 bits.
MAX_COUNT = (1 << 63) - 1
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT)]
Figure = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]
Finite = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]


class _BoundedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a document whose aliases expand beyond MAX_NODES values,
    and a mapping that gives one key twice."""

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            _expanded_size(node)
        return node

    def construct_mapping(self, node, deep=False):
        lines: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # '<<: *base' may be overridden, as YAML says
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in lines:
                    raise EmuError(f"the key '{shown(str(key), 40)}' is given twice (lines {lines[key]} and {line})")
            except TypeError:  # an unhashable key: the constructor refuses it with its own message
                break
            lines[key] = line
        return super().construct_mapping(node, deep=deep)


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


def read_bounded(path: Path, limit: int, what: str = "a config file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes; EmuError naming the file otherwise."""
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
        if info.st_size > limit:
            raise EmuError(f"{path}: {info.st_size:,} bytes, more than the {limit:,} {what} may have")
        raw = b""
        while len(raw) <= limit and (chunk := os.read(fd, limit + 1 - len(raw))):
            raw += chunk  # the file may have grown since fstat: never more than limit + 1
    except OSError as e:
        raise EmuError(f"{path}: cannot read: {e.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise EmuError(f"{path}: more than the {limit:,} bytes {what} may have")
    return raw


def read_yaml(path: Path) -> object:
    """The YAML document in a regular file of at most MAX_BYTES; EmuError naming the file otherwise."""
    raw = read_bounded(path, MAX_BYTES)
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_BoundedLoader)  # a SafeLoader subclass: no arbitrary objects
    except UnicodeDecodeError:
        raise EmuError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as e:
        raise EmuError(f"{path}: not valid YAML: {_yaml_problem(e)}") from None
    except EmuError as e:
        raise EmuError(f"{path}: {e}") from None
    except ValueError as e:  # an integer of more than 4,300 digits
        raise EmuError(f"{path}: {shown(str(e), 120)}") from None
    except RecursionError:
        raise EmuError(f"{path}: nested too deeply") from None


def read_json(path: Path, what: str = "a JSON file") -> object:
    """The JSON document in a regular file of at most MAX_JSON_BYTES, nested at most MAX_DEPTH
    levels, without a key given twice in one object; EmuError naming the file otherwise."""
    raw = read_bounded(path, MAX_JSON_BYTES, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EmuError(f"{path}: not UTF-8 text") from None
    if json_depth(text) > MAX_DEPTH:
        raise EmuError(f"{path}: nested more than the {MAX_DEPTH} levels {what} may have")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except EmuError as e:
        raise EmuError(f"{path}: {e}") from None
    except ValueError as e:  # JSONDecodeError, and integers of more than 4,300 digits
        raise EmuError(f"{path}: not valid JSON: {shown(str(e), 120)}") from None
    except RecursionError:  # brackets that do not pair up, opened a thousand times
        raise EmuError(f"{path}: nested more than the {MAX_DEPTH} levels {what} may have") from None


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"[\[{][\]}]")


def json_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """How deeply the arrays and objects of a JSON text nest, up to limit + 1, found without
    parsing it: strings (which may hold brackets) are dropped, then the innermost pairs of
    brackets are removed, a level a pass, until none are left. Brackets that do not pair up
    are left for the parser to report."""
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    depth = 0
    while brackets and depth <= limit:
        outer = _INNERMOST.sub("", brackets)
        if len(outer) == len(brackets):
            break
        brackets, depth = outer, depth + 1
    return depth


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise EmuError(f"the key '{shown(twice, 40)}' is given twice in one object")
    return value


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or first_line(error)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


def validated(model: type[Model] | TypeAdapter, data: object, where: str, prefix: tuple = ()) -> Model:
    """data checked against model (a pydantic model, or a TypeAdapter for a dataclass or a list
    of them); EmuError with one line naming where and the first bad field."""
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(data)
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
    if kind in ("model_type", "model_attributes_type", "dict_type", "dataclass_type", "dataclass_args_type"):
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
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return f"an integer of {len(str(abs(value)))} digits"
    text = repr(value)  # escapes control characters in a string
    return text if len(text) <= 40 else text[:37] + "..."
