@ Opens TARGET (given with -D) on the host for reading ("r"), reads up to 63 bytes of it
@ and prints them.
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #SYS_OPEN
    ldr r1, =open_block
host_call:
    bkpt 0xab
    ldr r1, =read_block
    str r0, [r1]
    movs r0, #SYS_READ
    bkpt 0xab
    ldr r0, =buffer
    bl puts
    exit_success
    .ltorg

    .section .rodata
path: .ascii TARGET
    .equ path_length, . - path
    .byte 0

    .data
    .align 2
open_block: .word path, 0, path_length      @ mode 0: "r"
read_block: .word 0, buffer, 63
buffer: .space 64
