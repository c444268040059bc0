"""`measure`, remembered by content: a second run of the same work reads its answer back.

This module is the results cache's one protocol, for a single measurement here and for a
sweep's jobs alike (emu.results.sweep): the key (`measure_key`), the stored answer
(`answer_of`, `read_answer`), reading one back (a damaged entry, or one this version cannot
decode, is dropped and measured again) and storing one.

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
from emu.compile.objective import resolve_objective
from emu.console import say
from emu.emulators import emulator_name
from emu.errors import EmuError, shown
from emu.model.reader import model_name, read_model_bytes
from emu.platforms import Platform
from emu.results.measure import measure
from emu.results.record import Result, result_from_dict
from emu.tools import tool_version

EMU_PACKAGE = Path(emu.__file__).resolve().parent
# Parts of emu that turn results into decisions, or models into files, never change a result.
# The firmware has its own digest; board files reach the key through the resolved Platform.
NOT_ON_THE_MEASURING_PATH = ("decide", "variants", "orchestrate", "cli", "doctor.py", "firmware", "boards")


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
                check: bool, sources: str, kernels: str, objective: str = "latency") -> str:
    """kernels: the resolved kernel set, "reference" or "optimized"; objective: the resolved
    objective (emu/compile/objective.py)."""
    # The name is part of the answer (a result names its model after the file), so part of the key.
    parts = [name, hashlib.sha256(model).hexdigest(), cache.platform_fingerprint(platform), kernels, objective,
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


def answer_of(result: Result, outputs: list[np.ndarray]) -> dict:
    """One measurement as plain JSON: what the cache stores and a sweep's worker sends back."""
    return {"result": result.to_dict(), "outputs": encode_outputs(outputs)}


def read_answer(answer: dict) -> tuple[Result, list[np.ndarray]]:
    return result_from_dict(answer["result"]), decode_outputs(answer["outputs"])


class ResultsCache:
    """Answers by measure_key in a content-addressed store; hits and misses are counted for
    reports."""

    def __init__(self):
        self.store = cache.ContentStore(cache.root() / "results")
        self.hits = 0
        self.misses = 0

    def stored(self, key: str) -> dict | None:
        """The answer stored under `key` as it is stored (answer_of's form), or None. An entry
        cut short or altered is dropped by the store; one whose seal holds but which this
        version cannot read (an older emu wrote it) is dropped here: both are measured again."""
        answer = self.store.get(key)
        if answer is not None:
            try:
                read_answer(answer)
            except (EmuError, KeyError, TypeError, ValueError) as e:
                say(f"cache entry {shown(str(self.store.path_for(key)), 160)} cannot be read ({e}): "
                    "measuring it again")
                self.forget(key)
                return None
        return answer

    def lookup(self, key: str) -> tuple[Result, list[np.ndarray]] | None:
        """The answer under `key`, counted as a hit; None counted as a miss, to be measured
        and remembered."""
        answer = self.stored(key)
        if answer is None:
            self.misses += 1
            return None
        self.hits += 1
        return read_answer(answer)

    def remember(self, key: str, answer: dict) -> None:
        """Store an answer (answer_of's form); a failure is never stored."""
        if "error" not in answer:
            self.store.put(key, answer)

    def forget(self, key: str) -> None:
        self.store.forget(key)

    def measure(self, model_path: str | Path, platform: Platform, variant: str = "model",
                inputs: list[np.ndarray] | None = None, check: bool = True,
                kernels: str | None = None, objective: str | None = None) -> tuple[Result, list[np.ndarray]]:
        model_path = Path(model_path)
        kernel_set = resolve_kernel_set(platform, kernels)
        objective = resolve_objective(objective)
        model = read_model_bytes(model_path)
        key = measure_key(model_name(model_path), model, platform, variant, inputs, check, sources_digest(),
                          kernel_set, objective)
        found = self.lookup(key)
        if found is not None:
            return found
        result, outputs = measure(model_path, platform, variant=variant, inputs=inputs, check=check,
                                  kernels=kernel_set, objective=objective)
        self.remember(key, answer_of(result, outputs))
        return result, outputs
