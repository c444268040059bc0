@ Never ends: the run stops only through the instruction budget.
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #0
spin:
    b spin
