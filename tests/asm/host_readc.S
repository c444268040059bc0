@ Prints a prompt, then waits for a character from the host's console (SYS_READC) and
@ exits with it as the exit code.
    .include "common.inc"

    .equ SYS_EXIT_EXTENDED, 0x20

    .text
    .thumb_func
reset:
    ldr r0, =prompt
    bl puts
    movs r0, #SYS_READC
    movs r1, #0
host_call:
    bkpt 0xab
    ldr r1, =exit_block
    str r0, [r1, #4]
    movs r0, #SYS_EXIT_EXTENDED
    bkpt 0xab
    .ltorg

    .section .rodata
prompt: .asciz "press a key\n"

    .data
    .align 2
exit_block: .word APPLICATION_EXIT, 0
