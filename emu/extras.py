"""Optional parts of emu and the packages they need.

`pip install emu` brings what building, running, profiling, benching and gating take.
Making variants (training, conversion, scoring data sets) needs TensorFlow and its
friends, the HTML report's charts need Plotly, and sweeps on a cluster need
Dask's distributed scheduler; those come with the extras `emu[variants]`, `emu[report]`
and `emu[cluster]`. A command that reaches for a missing one says
which extra to install, in one line.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from emu.errors import EmuError

EXTRAS = {
    "variants": ("tensorflow", "tf_keras", "tensorflow_model_optimization", "sklearn"),
    "report": ("plotly",),
    "cluster": ("distributed", "dask"),
}
# What each extra is for, in the words `emu doctor` shows beside a missing one.
PURPOSES = {
    "variants": "making and scoring model variants (emu variants)",
    "report": "the charts of the HTML report",
    "cluster": "sweeps on a Dask cluster (--cluster)",
}
_EXTRA_OF = {module: extra for extra, modules in EXTRAS.items() for module in modules}


def require(module: str) -> ModuleType:
    """Import an optional package, or fail with the extra that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise _missing(module, e.name or module) from None


def require_extra(extra: str) -> None:
    """Fail now, without importing anything, if a package of `extra` is missing: work that
    runs in worker processes would otherwise find out there, or not at all."""
    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # ValueError: a module whose import was blocked
            found = False
        if not found:
            raise _missing(module, module)


def _missing(module: str, name: str) -> EmuError:
    extra = _EXTRA_OF[module.split(".")[0]]
    return EmuError(f"this needs the optional package {module.split('.')[0]} ({name} is not "
                    f"installed): pip install 'emu[{extra}]', or run 'make setup'")
