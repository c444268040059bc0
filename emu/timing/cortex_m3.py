"""Cortex-M3 (Armv7-M, 3-stage pipeline).

Source: Arm 100165 (Cortex-M3 TRM) Table 3-1 and section 3.3.2 (the load/store timing
text, identical in the Cortex-M4 TRM DDI 0439D section 3.3.2); docs/sources.md#arm-cortex-m3-trm
and docs/sources.md#arm-cortex-m4-trm.
"""

from emu.timing.core import CoreTable, Cost

COSTS = {
    "alu": Cost(1),  # ALU, shift, CLZ, REV, SSAT: 1
    "alu-shifted": Cost(1),  # a shifted operand is free on the 3-stage core (Table 3-1)
    "bitfield": Cost(1),  # BFI, UBFX...: 1
    "nop": Cost(1),
    "it": Cost(1),  # IT: 1, or 0 when folded (see it_folding)
    "mul": Cost(1),  # MUL: 1
    "mac": Cost(2),  # MLA, MLS: 2
    # SMULL/UMULL 3-5 and SMLAL/UMLAL 4-7 with early termination on operand size. The trace
    # does not record operand values; assumption: the upper bound, which is what full-range
    # 32-bit operands (fixed-point requantisation multipliers) take.
    "mul-long": Cost(5),
    "mac-long": Cost(7),
    # SDIV/UDIV 2-12 depending on the operands; assumption: the midpoint, 7.
    "div": Cost(7),
    "load": Cost(2),  # LDR*: 2 (1 when pipelined, see load_pipelining)
    # Section 3.3.2: "STR Rx,[Ry,#imm] is always one cycle": its data phase overlaps the
    # next instruction. Assumption: the store buffer is never full, so it never stalls.
    "store": Cost(1),
    "store-register-offset": Cost(2),  # STR with register offset: 2 (Table 3-1)
    "load-double": Cost(1, 1),  # LDRD/STRD: 1+N = 3, not pipelined with neighbours (3.3.2)
    "store-double": Cost(1, 1),
    "load-multiple": Cost(1, 1),  # LDM/POP: 1+N (3.3.2: 8-element STM = 9)
    "store-multiple": Cost(1, 1),  # STM/PUSH: 1+N
    "pop-pc": Cost(1, 1),  # POP/LDM with PC: 1+N+P
    "load-pc": Cost(2),  # LDR PC: 2 + P; 3.3.2 says "at least five cycles", so P = 3 here
    "table-branch": Cost(3),  # TBB/TBH: 2 (load) + 1 (add) + 3 (refill) = 6 (3.3.2)
    "branch": Cost(1),  # B<cc>: 1 not taken, 1+P taken; B: 1+P (P = 1, see REFILL)
    "branch-compare": Cost(1),  # CBZ/CBNZ: 1 or 1+P
    "call": Cost(1),  # BL: 1+P
    "branch-indirect": Cost(1),  # BX, BLX: 1+P
    "system": Cost(2),  # MRS/MSR/CPS 1-2; assumption: 2 (BKPT/SVC/UDF likewise)
    # ISB/DMB/DSB 1+B, B the cycles to drain; assumption: B = 2, like a refill. None of
    # these run inside kernels.
    "barrier": Cost(3),
}

REFILL = {
    # The TRM's notes to Table 3-1 (same text in the Cortex-M4 TRM): taken branches with an
    # immediate "are normally 1 cycle of pipeline reload (2 cycles total)", with a register
    # operand "normally 2 cycles of pipeline reload (3 cycles total)". Measured on an
    # STM32F103 and an STM32F407: a taken bne.w takes 2 cycles (docs/timing.md, corpus).
    "default": 1,
    "branch-indirect": 2,
    # Section 3.3.2 spells out 3 refill cycles where the target comes from memory:
    # LDR PC (2+3 = at least 5), TBB/TBH (2+1+3 = at least 6); POP/LDM with PC likewise.
    "load-pc": 3,
    "pop-pc": 3,
    "table-branch": 3,
}

TABLE = CoreTable(
    core="cortex-m3",
    costs=COSTS,
    refill=REFILL,
    fetch_bytes=4,  # 32-bit instruction fetch on the I-code bus (TRM, bus interfaces)
    load_pipelining=True,  # section 3.3.2 (LDR;LDR = 3, 3 x LDR = 4) and measurements (LDR;STR = 2)
    store_load_stall=1,  # measured: a store followed by a load takes a cycle more
    address_dependency_stall=1,  # section 3.3.2 (docs/sources.md#arm-cortex-m4-trm): address from the previous result
    it_folding=True,  # Table 3-1: IT 0 cycles when folded onto a preceding 16-bit instruction
)
