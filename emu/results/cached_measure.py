"""`measure`, remembered by content: a second run of the same work reads its answer back.

The key covers everything a result depends on: the model bytes, the board's resolved fields, the
kernel library, the emu version, the sources of emu/firmware/ and of the emu modules on the
path from model to numbers, the cross compiler and QEMU, the inputs and whether outputs
were checked. Change any of them and the key changes, so a stale answer is never served.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

import emu
import emu.link.firmware
from emu import cache
from emu.compile.kernel_library import firmware_digest
from emu.compile.kernel_set import resolve_kernel_set
from emu.model.reader import model_name, read_model_bytes
from emu.emulators import emulator_name
from emu.platforms import Platform
from emu.results.measure import measure
from emu.results.record import Result, result_from_dict
from emu.tools import tool_version

EMU_PACKAGE = Path(emu.__file__).resolve().parent
# Parts of emu that turn results into decisions, or models into files, never change a result.
# The firmware has its own digest; board files reach the key through the resolved Platform.
NOT_ON_THE_MEASURING_PATH = ("decide", "variants", "cli", "demo.py", "doctor.py", "firmware", "boards")


def _python_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(EMU_PACKAGE.rglob("*")):
        rel = path.relative_to(EMU_PACKAGE)
        if path.is_file() and path.suffix in (".py", ".c", ".h") and rel.parts[0] not in NOT_ON_THE_MEASURING_PATH:
            h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def sources_digest() -> str:
    """The firmware and emu sources that can change a result (read afresh each call:
    a test may point emu.link.firmware.FIRMWARE at another copy of the firmware)."""
    return hashlib.sha256("\0".join((
        firmware_digest(Path(emu.link.firmware.FIRMWARE)),
        _python_digest(),
    )).encode()).hexdigest()


def measure_key(name: str, model: bytes, platform: Platform, variant: str, inputs: list[np.ndarray] | None,
                check: bool, sources: str, kernels: str) -> str:
    """kernels: the resolved kernel set, "reference" or "optimized"."""
    # The name is part of the answer (a result names its model after the file), so part of the key.
    parts = [name, hashlib.sha256(model).hexdigest(), cache.platform_fingerprint(platform), kernels,
             emu.__version__, sources, tool_version("arm-none-eabi-gcc"), tool_version("qemu-system-arm"),
             tool_version("llvm-objdump"), variant, str(check), emulator_name()]
    for x in inputs or []:
        x = np.ascontiguousarray(x)
        parts.append(f"{x.dtype}{x.shape}{hashlib.sha256(x.tobytes()).hexdigest()}")
    return cache.key(*parts)


def encode_outputs(outputs: list[np.ndarray]) -> list[dict]:
    return [{"dtype": str(y.dtype), "shape": list(y.shape), "hex": y.tobytes().hex()} for y in outputs]


def decode_outputs(stored: list[dict]) -> list[np.ndarray]:
    return [np.frombuffer(bytes.fromhex(y["hex"]), dtype=y["dtype"]).reshape(y["shape"]).copy()
            for y in stored]


class ResultsCache:
    """measure() behind a content-addressed store; hits and misses are counted for reports."""

    def __init__(self):
        self.store = cache.ContentStore(cache.root() / "results")
        self.hits = 0
        self.misses = 0

    def measure(self, model_path: str | Path, platform: Platform, variant: str = "model",
                inputs: list[np.ndarray] | None = None, check: bool = True,
                kernels: str | None = None) -> tuple[Result, list[np.ndarray]]:
        model_path = Path(model_path)
        kernel_set = resolve_kernel_set(platform, kernels)
        model = read_model_bytes(model_path)
        key = measure_key(model_name(model_path), model, platform, variant, inputs, check, sources_digest(),
                          kernel_set)
        stored = self.store.get(key)
        if stored is not None:
            self.hits += 1
            return result_from_dict(stored["result"]), decode_outputs(stored["outputs"])
        self.misses += 1
        result, outputs = measure(model_path, platform, variant=variant, inputs=inputs, check=check,
                                  kernels=kernel_set)
        self.store.put(key, {"result": result.to_dict(), "outputs": encode_outputs(outputs)})
        return result, outputs
