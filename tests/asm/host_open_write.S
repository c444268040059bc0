@ Opens TARGET (given with -D) on the host for writing ("w"), writes a line to it, closes
@ it and exits normally.
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #SYS_OPEN
    ldr r1, =open_block
host_call:
    bkpt 0xab
    ldr r1, =write_block
    str r0, [r1]
    ldr r2, =close_block
    str r0, [r2]
    movs r0, #SYS_WRITE
    bkpt 0xab
    movs r0, #SYS_CLOSE
    ldr r1, =close_block
    bkpt 0xab
    exit_success
    .ltorg

    .section .rodata
path: .ascii TARGET
    .equ path_length, . - path
    .byte 0
line: .ascii "written by firmware\n"
    .equ line_length, . - line

    .data
    .align 2
open_block: .word path, 4, path_length      @ mode 4: "w"
write_block: .word 0, line, line_length
close_block: .word 0
