"""What the user optimizes the weight formats for, and the cost each layer's choice is made by.

A filter (the weights of a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED) can be stored in
more than one form, each with its own flash and its own time:

- pruned int8 filters: dense (the model's bytes, read by the DSP or Helium kernels where the
  core has them) or sparse-bitmap (emu/compile/sparse.py: nonzero weights plus a bitmap,
  read by the scalar sparse kernels, which do only the nonzero multiply-accumulates);
- clustered filters (TFLM's LUT compression) and float16 filters: kept as the model stores
  them and decoded or widened into RAM before their layer (emu/compile/schedule.py), or
  expanded at build time into plain int8 or float32 constants, which cost no decoding and
  reach the same kernels as any dense filter, for more flash.

The objective says which cost decides (`--optimize`):

- latency (the default): the fewer estimated cycles; a sparse form must be estimated at
  least SPARSE_MARGIN faster than dense, so that a pruned model is never slower than its
  dense form. When the fastest forms' constants overflow the part's flash, the layers that
  save the most flash per cycle lost take their smallest form until the constants fit.
- flash: the fewer bytes.
- balanced: the least sum of the two, each relative to the better of the forms (a form twice
  as slow and half the size ties with the other).

The cycles are estimates: the layer's multiply-accumulates (the nonzero ones for the sparse
form; the decoded weights for a decoding) times a cycles-per-MAC figure measured for each
core and kernel family (CYCLES_PER_MAC, each with the measurement it comes from). They
rank forms; the emulator measures the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.errors import EmuError

OBJECTIVES = ("latency", "flash", "balanced")
LATENCY, FLASH, BALANCED = OBJECTIVES
DEFAULT_OBJECTIVE = LATENCY
HELP = ("What the weight formats are chosen for, layer by layer: latency (fewest cycles within the "
        "part's flash; the default), flash (fewest bytes) or balanced (the least of time and flash, "
        "each relative to the better form). See docs/runtime.md, 'Weight formats'.")

# A sparse form is taken for latency only when estimated this much faster than dense (a ratio
# of estimated cycles): its time varies with where the zeros fall, the dense kernels' does not.
SPARSE_MARGIN = 0.8

# Cycles per multiply-accumulate of each kernel family on each core, measured by
# benchmarks/format_costs.py (digits variants of `emu variants --task digits`, the filter
# layers' cycles over their multiply-accumulates):
#   reference: the portable int8 kernels; dsp: the SMLAD kernels; mve: the Helium kernels;
#   sparse: the sparse-bitmap kernels, per nonzero weight multiply-accumulated;
#   decode: the LUT DECODE kernel, per weight decoded.
# Measured on rp2040-pico (M0+), nucleo-l152re (M3), nucleo-l4r5zi (M4F), disco-f746ng (M7),
# ek-ra6m4 (M33) and alif-e7-appkit (M55), optimized kernels where the core has them.
CYCLES_PER_MAC: dict[str, dict[str, float]] = {
    "cortex-m0plus": {"reference": 11.0, "sparse": 20.0, "decode": 12.0},
    "cortex-m3": {"reference": 11.0, "sparse": 20.0, "decode": 12.0},
    "cortex-m4": {"reference": 11.0, "dsp": 3.0, "sparse": 20.0, "decode": 12.0},
    "cortex-m7": {"reference": 11.0, "dsp": 3.0, "sparse": 20.0, "decode": 12.0},
    "cortex-m33": {"reference": 11.0, "dsp": 3.0, "sparse": 20.0, "decode": 12.0},
    "cortex-m55": {"reference": 11.0, "dsp": 3.0, "mve": 1.0, "sparse": 20.0, "decode": 12.0},
}
# Float kernels and the float16 widening, per core, relative to nothing measured more finely:
# float layers take the reference figure (they have no DSP form), widening the decode one.
HOST_CORE = "cortex-m4"  # whose figures a compile for no board (host runs, variant sizes) uses


def resolve_objective(name: str | None) -> str:
    """The objective asked for, or the default; an unknown name is refused in one line."""
    if name is None:
        return DEFAULT_OBJECTIVE
    if name not in OBJECTIVES:
        raise EmuError(f"unknown objective '{name}' for --optimize (known: {', '.join(OBJECTIVES)})")
    return name


def cycles_per_mac(core: str | None, family: str) -> float:
    table = CYCLES_PER_MAC.get(core or HOST_CORE, CYCLES_PER_MAC[HOST_CORE])
    return table.get(family, table["reference"])


def kernel_family(path: str) -> str:
    """The cost family of a kernel path ('conv_2d/1x1-dsp' -> 'dsp')."""
    for family in ("mve", "dsp", "sparse"):
        if path.endswith(family):
            return family
    return "reference"


@dataclass(frozen=True)
class Form:
    """One way to store a layer's filter: its name, estimated cycles and flash bytes."""

    name: str
    cycles: int
    flash: int

    def shown(self) -> str:
        return f"{self.name} {self.flash:,} B ~{self.cycles:,} cycles"


def choose(objective: str, dense: Form, other: Form, margin: float = 1.0) -> tuple[Form, str]:
    """The form the objective takes of two, the first being the plain one (taken on a tie),
    and the sentence that says why. `margin`: under latency the other form must be estimated
    at most this fraction of the plain one's cycles."""
    if objective == LATENCY:
        better = other.cycles <= margin * dense.cycles and other.cycles < dense.cycles
    elif objective == FLASH:
        better = other.flash < dense.flash
    else:
        def cost(f: Form) -> float:
            return f.cycles / max(min(dense.cycles, other.cycles), 1) + f.flash / max(min(dense.flash, other.flash), 1)
        better = cost(other) < cost(dense)
    chosen, passed = (other, dense) if better else (dense, other)
    return chosen, f"{objective}: {chosen.shown()} over {passed.shown()}"
