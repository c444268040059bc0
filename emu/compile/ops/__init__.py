"""One module per operator (or per family of operators sharing a kernel).

Each module names the builtin operators it lowers in OPERATORS and provides
lower(op, graph) -> KernelCall. Adding an operator is adding a module here and its C
kernel in firmware/kernels; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable

from emu.compile.kernel_call import KernelCall

Lowering = Callable[..., KernelCall]


def lowerings() -> dict[str, Lowering]:
    table: dict[str, Lowering] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name in getattr(module, "OPERATORS", ()):
            table[name] = module.lower
    return table
