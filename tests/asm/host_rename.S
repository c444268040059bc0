@ Asks the host to rename TARGET to NEW_NAME (both given with -D) through SYS_RENAME.
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #SYS_RENAME
    ldr r1, =rename_block
host_call:
    bkpt 0xab
    exit_success
    .ltorg

    .section .rodata
old_path: .ascii TARGET
    .equ old_length, . - old_path
    .byte 0
new_path: .ascii NEW_NAME
    .equ new_length, . - new_path
    .byte 0

    .data
    .align 2
rename_block: .word old_path, old_length, new_path, new_length
