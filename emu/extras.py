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
from types import ModuleType

from emu.errors import EmuError

EXTRAS = {
    "variants": ("tensorflow", "tf_keras", "tensorflow_model_optimization", "sklearn"),
    "report": ("plotly",),
    "cluster": ("distributed", "dask"),
}
_EXTRA_OF = {module: extra for extra, modules in EXTRAS.items() for module in modules}


def require(module: str) -> ModuleType:
    """Import an optional package, or fail with the extra that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        extra = _EXTRA_OF[module.split(".")[0]]
        raise EmuError(f"this needs the optional package {module.split('.')[0]} ({e.name or module} is not "
                       f"installed): pip install 'emu[{extra}]', or run 'make setup'") from None
