@ Never ends: the run stops only through the instruction budget (a loop of two
@ instructions, not a branch to itself, which is stopped at once).
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #0
spin:
    adds r0, #1
    b spin
