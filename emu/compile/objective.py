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
  most SPARSE_MARGIN of dense's cycles, so that a pruned layer is not slower than dense where
  the estimate errs. When the fastest forms' constants overflow the part's flash, the layers that
  save the most flash per cycle lost take their smallest form until the constants fit.
- flash: the fewer bytes.
- balanced: the least sum of the two, each as a share of the model's (its filter layers'
  estimated cycles and its filter bytes, all in their plain forms): a form is taken when the
  share of the model's filter flash it saves is larger than the share of time it costs.

The cycles are estimates: the layer's output elements and multiply-accumulates (for the
sparse form, also its nonzero weights multiply-accumulated), each times a figure fitted for
each core and kernel family to measured layers (COSTS, with the boards they come from), and for a decoding, the decoded
weights times the DECODE kernel's figure. They rank forms; the emulator measures the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.errors import EmuError

OBJECTIVES = ("latency", "flash", "balanced")
LATENCY, FLASH, BALANCED = OBJECTIVES
DEFAULT_OBJECTIVE = LATENCY
HELP = ("What the weight formats are chosen for, layer by layer: latency (fewest cycles within the "
        "part's flash; the default), flash (fewest bytes) or balanced (the least of time and flash, "
        "each as a share of the model's). See docs/runtime.md, 'Weight formats'.")

# A sparse form is taken for latency only when estimated at most this fraction of dense's
# cycles. Its time varies with what the estimate does not see (the bitmap bytes walked, output
# pixels whose window reaches into the padding, which go one at a time): a 3x3 layer of 95%
# zeros over a padded 8x8 image took 1.5x its estimate on the M4F (tests/test_weight_formats.py),
# so a form estimated at 0.6x is still faster measured at 0.9x.
SPARSE_MARGIN = 0.6

# Each kernel family's cycles on each core, fitted by benchmarks/format_costs.py to the filter
# layers of the digits variants (`emu variants --task digits`) measured on the boards named, by
# non-negative least squares; the DSP and Helium figures also to the dense layers of the MLPerf
# Tiny KWS and IC models (`--model kws_ref_model.tflite --model pretrainedResnet_quant.tflite`),
# refitted after the two-channel DSP convolution and the arranged Helium kernels, and the DSP
# figures of the M4, M7 and M33 again after that convolution's pair loop became one block of
# assembly (2026-12-08; the decode and sparse figures came out as they were). Their cycles per
# multiply-accumulate depend on the shape (1.5 to 4 on the M4F), which two figures cannot follow:
# their estimates are 0.5x to 2.3x the measured layers' (the script prints each family's range),
# the reference, sparse and decode ones 0.6x to 1.5x. Families and their figures: reference (the portable int8
# kernels), dsp (SMLAD), mve (Helium): cycles per output element and per multiply-accumulate;
# sparse (the sparse-bitmap kernels): per output element, per weight position (the bitmap
# walk) and per nonzero weight multiply-accumulated; decode (the LUT DECODE kernel, also taken
# for float16 widening, which is not measured apart): per weight decoded.
COSTS: dict[str, dict[str, tuple[float, ...]]] = {
    # rp2040-pico
    "cortex-m0plus": {"decode": (66.8,), "reference": (282.5, 11.15), "sparse": (378.28, 0.0, 43.43)},
    # nucleo-l152re
    "cortex-m3": {"decode": (24.08,), "reference": (119.31, 3.72), "sparse": (120.41, 0.0, 14.56)},
    # nucleo-l4r5zi, nucleo-l4r5zi:reference
    "cortex-m4": {"decode": (20.84,), "dsp": (62.39, 1.86), "reference": (114.5, 2.64), "sparse": (110.52, 0.0, 11.75)},
    # disco-f746ng, disco-f746ng:reference
    "cortex-m7": {"decode": (14.34,), "dsp": (41.26, 1.24), "reference": (68.8, 1.55), "sparse": (82.33, 0.0, 8.19)},
    # ek-ra6m4, ek-ra6m4:reference
    "cortex-m33": {"decode": (13.47,), "dsp": (54.32, 1.97), "reference": (104.4, 2.94),
                   "sparse": (103.82, 0.0, 12.78)},
    # alif-e7-appkit, alif-e7-appkit:reference
    "cortex-m55": {"decode": (13.06,), "mve": (21.05, 0.22), "reference": (94.09, 1.93), "sparse": (94.65, 0.0, 10.34)},
}
HOST_CORE = "cortex-m4"  # whose figures a compile for no board (a host run, a variant's sizes) uses


def resolve_objective(name: str | None) -> str:
    """The objective asked for, or the default; an unknown name is refused in one line."""
    if name is None:
        return DEFAULT_OBJECTIVE
    if name not in OBJECTIVES:
        raise EmuError(f"unknown objective '{name}' for --optimize (known: {', '.join(OBJECTIVES)})")
    return name


def estimated_cycles(core: str | None, family: str, outputs: int, macs: int, nonzero: int = 0) -> int:
    """A layer's cycles in a kernel family: its output elements, its multiply-accumulates (the
    weight positions, for the sparse form) and its nonzero ones, each times the family's figure on
    the core (COSTS). A family the core has no figure for (the float kernels) takes the core's
    reference figures; a core not measured, the host core's."""
    table = COSTS.get(core or HOST_CORE, COSTS[HOST_CORE])
    return estimate(table.get(family) or table["reference"], (outputs, macs, nonzero))


def estimate(figures: tuple[float, ...], counts: tuple[int, ...]) -> int:
    """Each figure times its count, summed: as many counts as the family has figures."""
    return round(sum(f * n for f, n in zip(figures, counts, strict=False)))


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


def choose(objective: str, dense: Form, other: Form, margin: float = 1.0,
           model: tuple[int, int] = (1, 1)) -> tuple[Form, str]:
    """The form the objective takes of two, the first being the plain one (taken on a tie),
    and the sentence that says why. `margin`: under latency the other form must be estimated
    at most this fraction of the plain one's cycles. `model`: the model's filter layers'
    estimated cycles and filter bytes in their plain forms, which balanced weighs against."""
    if objective == LATENCY:
        better = other.cycles <= margin * dense.cycles and other.cycles < dense.cycles
    elif objective == FLASH:
        better = other.flash < dense.flash
    else:
        def cost(f: Form) -> float:
            return f.cycles / max(model[0], 1) + f.flash / max(model[1], 1)
        better = cost(other) < cost(dense)
    chosen, passed = (other, dense) if better else (dense, other)
    return chosen, f"{objective}: {chosen.shown()} over {passed.shown()}"
