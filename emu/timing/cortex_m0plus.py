"""Cortex-M0+ (Armv6-M, 2-stage pipeline).

Source: RP2040 datasheet section 2.4.3.3 Table 81, the published Cortex-M0+ cycle table
(docs/sources.md#rp2040-datasheet). Every figure below reproduces
that table: a branch taken costs its base plus a refill of 1, so B<cc> is 1 not taken and
2 taken, B 2, BL 3, BX/BLX/MOV PC 2, POP {..,PC} 3+N.
"""

from emu.timing.core import CoreTable, Cost

TABLE = CoreTable(
    core="cortex-m0plus",
    costs={
        "alu": Cost(1),  # ALU, shift, extend, REV, MOV, ADD/SUB/CMP: 1
        "nop": Cost(1),  # NOP, YIELD, SEV, CPSID/CPSIE: 1
        "mul": Cost(1),  # MULS: 1 with the fast multiplier RP2040 implements (32 with the small one)
        "load": Cost(2),  # LDR*/STR* all forms: 2 (1 only to the RP2040 single-cycle I/O port)
        "store": Cost(2),
        "store-register-offset": Cost(2),
        "load-multiple": Cost(1, 1),  # LDM/POP: 1+N
        "store-multiple": Cost(1, 1),  # STM/PUSH: 1+N
        "pop-pc": Cost(1, 1),  # POP {...,PC}: 1+N with N counting PC, + refill 1 = 3+N(lo regs)
        "branch": Cost(1),  # B<cc> 1 not taken; B<cc> taken and B: 1 + refill 1 = 2
        "call": Cost(2),  # BL: 2 + refill 1 = 3
        "branch-indirect": Cost(1),  # BX, BLX Rm, MOV PC,Rm, ADD PC: 1 + refill 1 = 2
        "system": Cost(3),  # MRS, MSR: 3 (BKPT, SVC, UDF: assumption, same as MRS)
        "barrier": Cost(3),  # ISB, DMB, DSB: 3
    },
    refill={"default": 1},  # derived: taken B<cc> 2 minus not-taken 1
    fetch_bytes=4,  # assumption: one 32-bit AHB-Lite fetch supplies two 16-bit instructions
)
