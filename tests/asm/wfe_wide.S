@ The 32-bit WFE encoding (f3af 8002), reached after two instructions.
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #0
    cpsid i
wait_here:
    wfe.w
    b wait_here
