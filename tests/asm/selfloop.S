@ Ends in `b .` with no interrupt handler: nothing can ever leave the loop.
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #0
spin:
    b spin
