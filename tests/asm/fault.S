@ Reads an address no machine maps: a precise bus fault at fault_here.
    .include "common.inc"

    .text
    .thumb_func
reset:
    ldr r0, =0x4ff00000
fault_here:
    ldr r1, [r0]
    exit_success
    .ltorg
