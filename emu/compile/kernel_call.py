"""What one operator lowers to: a call into the C kernel library, with its parameters.

Each module in emu/compile/ops/ lowers the operators it names (OPERATORS) with a function
lower(op, graph) -> KernelCall. The code generator turns a KernelCall into a const
parameter struct in flash and one C call:

    <function>(&params, arg0, arg1, ...);

where each arg is a pointer to a tensor's data (const for inputs, writable for the
operator's outputs), NULL for None, or a table of such pointers (see KernelCall.args).
The function and struct are declared in emu/firmware/kernels/<header>. A call without a
function emits no kernel call: an alias (RESHAPE), a resource handle bound at compile time
(VAR_HANDLE), or a control-flow operator (WHILE, IF, CALL_ONCE), whose `subgraphs` the code
generator runs with C of its own (emu/compile/subgraphs.py).

A module may also offer faster kernels for the `optimized` kernel set
(emu/compile/kernel_set.py) with optimize(op, graph, call) -> KernelCall | str (and
helium(...) for the vector extension): given the reference call, the call of a kernel with the
same C API that computes the same integers, or, where it has no faster form, why not (a
sentence the compiler records on the layer: emu bench lists such layers, see
emu/compile/codegen.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ConstArray:
    """A constant array (per-channel multipliers, a lookup table) placed in flash."""

    ctype: str  # "int32_t", "int8_t", "float", ...
    values: np.ndarray


@dataclass
class KernelCall:
    function: str  # C function, e.g. "emu_conv2d_s8"
    header: str  # header in emu/firmware/kernels that declares it, e.g. "conv_2d.h"
    params_type: str | None  # C struct type of the first argument; None: no params argument
    params: dict[str, object] = field(default_factory=dict)  # field -> int, float, ConstArray, or list of ints
    # Tensor indices passed as pointers; a ConstArray is passed as a pointer to itself in flash
    # (a filter the optimized kernel reads in an arrangement of its own); a list of tensor
    # indices (the outputs of SPLIT, the inputs of PACK, as many as the model has) is passed as
    # a pointer to a table of their pointers in flash: `void *const *` when all are the
    # operator's outputs, else `const void *const *`.
    args: list[int | ConstArray | list[int] | None] = field(default_factory=list)
    # True when the operator moves no data: its output is its input, reinterpreted (RESHAPE).
    # The arena planner then gives the output the input's memory and no call is emitted.
    alias: bool = False
    # True when the kernel may write its output over its first input (elementwise operators
    # that read each element before writing it). The planner uses this only when that
    # input is not read again afterwards.
    inplace: bool = False
    # Set by kernels that write their output in the order they read their first input
    # (row by row): the output may then share memory with that input, provided the input
    # starts at least this many bytes after the output's start. See emu/compile/overlap.py.
    input_lead: int | None = None
    # Bytes of temporary memory the kernel needs while it runs; the planner places them in
    # the arena and passes a pointer as one more, last, argument (void *scratch).
    scratch_bytes: int = 0
    # Which implementation runs, "<operator>/<form>" (e.g. "conv_2d/1x1-dsp"); empty means
    # "<operator>/reference", filled in by the code generator.
    path: str = ""
    # Why the portable kernel runs where the kernel set and core have faster ones for this
    # operator (the optimize/helium hooks' answers); empty otherwise. Set by the code generator.
    fallback: str = ""
    # Multiply-accumulates the operator does, from its shapes (0 for operators without any).
    macs: int = 0
    # Set by lowerings that store the filter in a form of their own (sparse): its format name
    # and flash bytes, for emu/compile/weight_format.py.
    filter_storage: tuple[str, int] | None = None
    # The filter's form for a layer that had a choice of forms (emu/compile/formats.py), and the
    # objective's reason for it; empty where the filter has one form only.
    weight_format: str = ""
    choice: str = ""
    # Where the form taken is not the smallest: (flash bytes, estimated cycles) the smallest
    # form would save and cost, for fitting the part's flash (emu/compile/codegen.py).
    smaller: tuple[int, int] | None = None
    # The subgraphs a control-flow operator runs, in its options' order (WHILE: condition,
    # body; IF: then, else; CALL_ONCE: init); empty for every other operator.
    subgraphs: tuple[int, ...] = ()
    # Bytes at the start of the scratch that hold a copy of the filter (args[1]), made just
    # before the call (emu/compile/filter_copies.py); the kernel reads the copy, and its own
    # scratch follows. 0: the filter is read where it lies.
    filter_copy: int = 0


class UnsupportedOperator(Exception):
    """Raised by a lowering for a form of its operator that emu does not implement."""
