"""`measure`, remembered by content: a second run of the same work reads its answer back.

The key covers everything a result depends on: the model bytes, the board file, the
kernel library, the emu version, the sources of firmware/ and of the emu modules on the
path from model to numbers, the cross compiler and QEMU, the inputs and whether outputs
were checked. Change any of them and the key changes, so a stale answer is never served.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np

import emu
import emu.build
from emu.build import cache_root
from emu.decide.content_store import ContentStore
from emu.decide.records import result_from_dict
from emu.emulators import emulator_name
from emu.measure import KERNELS, Result, measure
from emu.model import read_model_bytes
from emu.platforms import Platform

EMU_PACKAGE = Path(emu.__file__).resolve().parent
# Parts of emu that turn results into decisions, or models into files, never change a result.
NOT_ON_THE_MEASURING_PATH = ("decide", "variants", "cli.py", "cli_decide.py", "demo.py", "doctor.py")


def _digest_tree(root: Path, suffixes: tuple[str, ...], skip: tuple[str, ...] = ()) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or path.suffix not in suffixes or rel.parts[0] in skip:
            continue
        h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=None)
def _tool_version(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        return f"{tool}: missing"
    out = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else tool


def sources_digest() -> str:
    """The firmware and emu sources that can change a result (read afresh each call:
    a test may point emu.build.FIRMWARE at another copy of the firmware)."""
    return hashlib.sha256("\0".join((
        _digest_tree(Path(emu.build.FIRMWARE), (".c", ".h", ".S", ".ld")),
        _digest_tree(EMU_PACKAGE, (".py", ".c", ".h"), skip=NOT_ON_THE_MEASURING_PATH),
    )).encode()).hexdigest()


def measure_key(name: str, model: bytes, platform: Platform, variant: str, inputs: list[np.ndarray] | None,
                check: bool, sources: str) -> str:
    h = hashlib.sha256()
    # The name is part of the answer (a result names its model after the file), so part of the key.
    parts = [name, hashlib.sha256(model).hexdigest(), platform.path.read_text(), KERNELS, emu.__version__, sources,
             _tool_version("arm-none-eabi-gcc"), _tool_version("qemu-system-arm"), variant, str(check),
             emulator_name()]
    for x in inputs or []:
        x = np.ascontiguousarray(x)
        parts.append(f"{x.dtype}{x.shape}{hashlib.sha256(x.tobytes()).hexdigest()}")
    for part in parts:
        h.update(part.encode() + b"\0")
    return h.hexdigest()


def _encode_outputs(outputs: list[np.ndarray]) -> list[dict]:
    return [{"dtype": str(y.dtype), "shape": list(y.shape), "hex": y.tobytes().hex()} for y in outputs]


def _decode_outputs(stored: list[dict]) -> list[np.ndarray]:
    return [np.frombuffer(bytes.fromhex(y["hex"]), dtype=y["dtype"]).reshape(y["shape"]).copy()
            for y in stored]


class ResultsCache:
    """measure() behind a content-addressed store; hits and misses are counted for reports."""

    def __init__(self, root: Path | None = None):
        self.store = ContentStore(Path(root) if root else cache_root() / "results")
        self.hits = 0
        self.misses = 0

    def measure(self, model_path: str | Path, platform: Platform, variant: str = "model",
                inputs: list[np.ndarray] | None = None, check: bool = True) -> tuple[Result, list[np.ndarray]]:
        model_path = Path(model_path)
        model = read_model_bytes(model_path)
        key = measure_key(model_path.stem, model, platform, variant, inputs, check, sources_digest())
        stored = self.store.get(key)
        if stored is not None:
            self.hits += 1
            return result_from_dict(stored["result"]), _decode_outputs(stored["outputs"])
        self.misses += 1
        result, outputs = measure(model_path, platform, variant=variant, inputs=inputs, check=check)
        self.store.put(key, {"result": result.to_dict(), "outputs": _encode_outputs(outputs)})
        return result, outputs
