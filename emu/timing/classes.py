"""Instruction classes: the keys of every core's cost table.

The class is a fact about the instruction (what it does), never about a core; each core's
table then says what the class costs there. A class a core's table lacks is one that core
cannot execute (an FP divide on a core without FPU), and the model says so.
"""

from __future__ import annotations

from emu.timing.disasm_mve import REDUCTION
from emu.timing.instruction import Instruction

# Report groups: the coarse split a CycleCount's by_class shows.
GROUP_OF_CLASS = {
    "alu": "alu", "alu-shifted": "alu", "bitfield": "alu", "it": "alu", "nop": "alu",
    "loop-start": "branch",
    "mul": "mul", "mac": "mul", "mul-long": "mul", "mac-long": "mul",
    "dsp": "dsp", "dsp-mul": "dsp",
    "div": "div",
    "load": "load", "load-double": "load", "load-multiple": "load",
    "store": "store", "store-register-offset": "store", "store-double": "store",
    "store-multiple": "store",
    "branch": "branch", "branch-compare": "branch", "call": "branch",
    "branch-indirect": "branch", "load-pc": "branch", "pop-pc": "branch",
    "table-branch": "branch", "loop-end": "branch",
    "system": "system", "barrier": "system",
    "fp-alu": "fp", "fp-mul": "fp", "fp-mac": "fp", "fp-div": "fp", "fp-sqrt": "fp",
    "fp-move": "fp", "fp-move-pair": "fp",
    "fp-load": "load", "fp-store": "store", "fp-load-multiple": "load",
    "fp-store-multiple": "store",
    "fp-alu-f64": "fp", "fp-mul-f64": "fp", "fp-mac-f64": "fp", "fp-div-f64": "fp",
    "fp-sqrt-f64": "fp",
    "vector-load": "load", "vector-store": "store",
    "vector-alu": "vector", "vector-shift-round": "vector", "vector-compare": "vector",
    "vector-mul": "vector", "vector-mac": "vector", "vector-reduce": "vector", "vector-fp": "vector",
    "vector-move": "vector", "vector-predicate": "vector",
}
CLASSES = frozenset(GROUP_OF_CLASS)

# Classes that move a list of words; their cost is "fixed + per word" in a core table.
TRANSFER_CLASSES = frozenset({
    "load-double", "store-double", "load-multiple", "store-multiple", "pop-pc",
    "fp-load", "fp-store", "fp-load-multiple", "fp-store-multiple",
})
# Single-register integer loads and stores: the M3/M4 pipelining rules apply to these.
SINGLE_LOADS = frozenset({"load"})
SINGLE_STORES = frozenset({"store", "store-register-offset"})
# FP data processing: the instructions whose results the M4 FP dependency rule is about.
FP_ARITHMETIC = frozenset({
    "fp-alu", "fp-mul", "fp-mac", "fp-div", "fp-sqrt",
    "fp-alu-f64", "fp-mul-f64", "fp-mac-f64", "fp-div-f64", "fp-sqrt-f64",
})

_BITFIELD = frozenset({"bfi", "bfc", "ubfx", "sbfx"})
_NOP = frozenset({"hint", "nop", "yield", "sev", "wfe", "wfi", "cpsid", "cpsie", "cps", "lctp"})
_SYSTEM = frozenset({"mrs", "msr", "svc", "bkpt", "udf", "clrex", "tt", "ttt", "tta", "ttat", "sg"})
_BARRIER = frozenset({"isb", "dsb", "dmb", "ssbb", "pssbb", "csdb"})
_MUL = {"mul": "mul", "mla": "mac", "mls": "mac", "smull": "mul-long", "umull": "mul-long",
        "smlal": "mac-long", "umlal": "mac-long", "umaal": "mac-long"}
# Armv7E-M DSP extension (Cortex-M4 TRM Table 3-2): the multiplying ones, then the rest.
_DSP_MULTIPLY_PREFIXES = ("smla", "smls", "smul", "smua", "smus", "smmla", "smmls", "smmul")
_DSP_PREFIXES = ("qadd", "qsub", "qasx", "qsax", "qdadd", "qdsub", "sadd", "ssub", "sasx",
                 "ssax", "uadd", "usub", "uasx", "usax", "shadd", "shsub", "shasx", "shsax",
                 "uhadd", "uhsub", "uhasx", "uhsax", "uqadd", "uqsub", "uqasx", "uqsax",
                 "sel", "usad8", "usada8", "sxtab", "sxtah", "uxtab", "uxtah", "sxtb16",
                 "uxtb16", "pkhbt", "pkhtb", "ssat16", "usat16")
_FP_MAC = frozenset({"vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms"})
_FP_MUL = frozenset({"vmul", "vnmul"})
_FP_MOVES = frozenset({"vmov"})
# Helium (MVE): multiplies; multiply-accumulates lane by lane; reductions across the vector
# into core registers (VMLADAV, VADDV, VMAXV...); rounding and saturating shifts; compares
# (which write the predicate); moves between lanes and core registers; the predicate's own
# instructions and its moves to and from core registers.
_VECTOR_MUL_PREFIXES = ("vmul", "vqdmul", "vqrdmul", "vrmulh")
_VECTOR_MAC_PREFIXES = ("vmla", "vmls", "vqdmla", "vqrdmla", "vqdmls", "vqrdmls", "vfma", "vfms")
_VECTOR_SHIFT_ROUND_PREFIXES = ("vrshl", "vqshl", "vqrshl", "vrshr", "vqshr", "vqrshr", "vshrn", "vrshrn",
                                "vmovn", "vqmov")
_VECTOR_MOVES = frozenset({"vmov"})
_VECTOR_PREDICATE = frozenset({"vpst", "vctp", "vpnot", "vmrs", "vmsr"})  # VMRS/VMSR: the predicate moved
# Transfers between the FP status register and core registers or flags: moves, not
# arithmetic (VMRS/VMSR take 1 cycle in Table 7-1; "fmstat" is capstone's VMRS APSR_nzcv).
_FP_STATUS_MOVES = frozenset({"vmrs", "vmsr", "fmstat"})


def classify(ins: Instruction) -> str:
    """The class of one instruction, from its operation and operands."""
    op = ins.operation
    if ins.vector:
        return _vector_class(ins)
    if ins.is_branch:
        return _branch_class(ins)
    if op in ("dls", "dlstp"):
        return "loop-start"
    if ins.is_load or ins.is_store:
        return _memory_class(ins)
    if op.startswith("v") or op.startswith("f"):
        return _fp_class(ins)
    if op == "it":
        return "it"
    if op in _MUL:
        return _MUL[op]
    if op in ("sdiv", "udiv"):
        return "div"
    if op.startswith(_DSP_MULTIPLY_PREFIXES):
        return "dsp-mul"
    if op.startswith(_DSP_PREFIXES):
        return "dsp"
    if op in _BITFIELD:
        return "bitfield"
    if op in _NOP:
        return "nop"
    if op in _SYSTEM:
        return "system"
    if op in _BARRIER:
        return "barrier"
    return "alu-shifted" if ins.shifted_operand else "alu"


def _branch_class(ins: Instruction) -> str:
    op = ins.operation
    if op in ("tbb", "tbh"):
        return "table-branch"
    if op in ("le", "letp"):
        return "loop-end"
    if op in ("cbz", "cbnz"):
        return "branch-compare"
    if op == "bl":
        return "call"
    if op == "b" or op in ("wls", "wlstp"):
        return "branch"
    if ins.is_load:
        return "pop-pc" if ins.register_count else "load-pc"
    return "branch-indirect"  # BX, BLX Rm, MOV PC / ADD PC


def _memory_class(ins: Instruction) -> str:
    op = ins.operation
    if op.startswith("v"):
        multiple = ins.register_count > 0
        if ins.is_load:
            return "fp-load-multiple" if multiple else "fp-load"
        return "fp-store-multiple" if multiple else "fp-store"
    if ins.register_count:
        return "load-multiple" if ins.is_load else "store-multiple"
    if op in ("ldrd", "strd"):
        return "load-double" if ins.is_load else "store-double"
    if ins.is_load:
        return "load"
    return "store-register-offset" if ins.index_register else "store"


def _fp_class(ins: Instruction) -> str:
    op = ins.operation
    if op in _FP_STATUS_MOVES:
        return "fp-move"
    if op in _FP_MOVES and not any(r.startswith("s") for r in ins.writes):
        # VMOV from FP to core registers; two core registers take two transfers.
        core_written = [r for r in ins.writes if not r.startswith("s")]
        return "fp-move-pair" if len(core_written) > 1 else "fp-move"
    if op in _FP_MOVES and not any(r.startswith("s") for r in ins.reads) and ins.reads:
        core_read = [r for r in ins.reads if not r.startswith("s")]
        return "fp-move-pair" if len(core_read) > 1 else "fp-move"
    suffix = "-f64" if ins.data_type == "f64" else ""
    if op in _FP_MAC:
        return "fp-mac" + suffix
    if op in _FP_MUL:
        return "fp-mul" + suffix
    if op == "vdiv":
        return "fp-div" + suffix
    if op == "vsqrt":
        return "fp-sqrt" + suffix
    # VADD, VSUB, VABS, VNEG, VCMP, VCVT, VMOV (immediate and register), VSEL,
    # VMAXNM, VRINT...: single-cycle on FPv4-SP (Cortex-M4 TRM Table 7-1).
    return "fp-alu" + suffix


def _vector_class(ins: Instruction) -> str:
    op = ins.operation
    if ins.is_load or ins.is_store:
        return "vector-load" if ins.is_load else "vector-store"
    if op in _VECTOR_PREDICATE:
        return "vector-predicate"
    if op.startswith(("vpt", "vcmp")):
        return "vector-compare"
    if op in _VECTOR_MOVES and any(not r.startswith("s") for r in ins.writes | ins.reads):
        return "vector-move"  # lanes to or from core registers
    if REDUCTION.match(op):
        return "vector-reduce"
    if ins.data_type and ins.data_type.startswith("f"):
        return "vector-mac" if op.startswith(_VECTOR_MAC_PREFIXES) else "vector-fp"
    if op.startswith(_VECTOR_MAC_PREFIXES):
        return "vector-mac"
    if op.startswith(_VECTOR_MUL_PREFIXES):
        return "vector-mul"
    if op.startswith(_VECTOR_SHIFT_ROUND_PREFIXES):
        return "vector-shift-round"
    return "vector-alu"
