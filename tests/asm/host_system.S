@ Asks the host to run COMMAND (given with -D when assembled) through SYS_SYSTEM, then
@ prints its result and exits normally.
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #SYS_SYSTEM
    ldr r1, =system_block
host_call:
    bkpt 0xab
    bl put_hex
    ldr r0, =returned
    bl puts
    exit_success
    .ltorg

    .section .rodata
command: .ascii COMMAND
    .equ command_length, . - command
    .byte 0
returned: .asciz " returned by SYS_SYSTEM\n"

    .data
    .align 2
system_block: .word command, command_length
