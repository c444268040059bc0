@ Asks the host to delete TARGET (given with -D) through SYS_REMOVE.
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #SYS_REMOVE
    ldr r1, =remove_block
host_call:
    bkpt 0xab
    exit_success
    .ltorg

    .section .rodata
path: .ascii TARGET
    .equ path_length, . - path
    .byte 0

    .data
    .align 2
remove_block: .word path, path_length
