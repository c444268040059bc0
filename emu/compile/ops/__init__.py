"""One module per operator (or per family of operators sharing a kernel).

Each module names the builtin operators it lowers in OPERATORS, the tensor types its lower()
accepts in TYPES (a tuple for all of them, or a dict of one per operator; ("any",) for one
that moves bytes of any type) and provides lower(op, graph) -> KernelCall, and optionally
the faster kernels' hooks optimize (DSP) and helium (MVE). Adding an operator is adding a
module here and its C kernel in emu/firmware/kernels; `python -m emu.compile.operator_table
> docs/operators.md` then lists it.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable

from emu.compile.kernel_call import KernelCall

Lowering = Callable[..., KernelCall]


def modules():
    """Every operator module."""
    for info in pkgutil.iter_modules(__path__):  # pkgutil lists them by name
        yield importlib.import_module(f"{__name__}.{info.name}")


def lowerings() -> dict[str, Lowering]:
    table: dict[str, Lowering] = {}
    for module in modules():
        for name in getattr(module, "OPERATORS", ()):
            table[name] = module.lower
    return table


def optimizations(hook: str = "optimize") -> dict[str, Callable[..., KernelCall | str]]:
    """Operator -> hook(op, graph, reference_call) for the operators that have faster kernels:
    `optimize` for the DSP extension, `helium` for the vector extension (MVE). A hook returns
    the faster call, or a sentence saying why this operator has none."""
    table: dict[str, Callable[..., KernelCall | str]] = {}
    for module in modules():
        if hasattr(module, hook):
            for name in getattr(module, "OPERATORS", ()):
                table[name] = getattr(module, hook)
    return table
