@ Prints the text the host placed at `input` before boot, then exits with its
@ first byte as the exit code. The .bss input is not loaded from the ELF, so
@ only the host's bytes can be there.
    .include "common.inc"

    .equ SYS_EXIT_EXTENDED, 0x20

    .text
    .thumb_func
reset:
    ldr r0, =input
    bl puts
    ldr r0, =input
    ldrb r2, [r0]
    ldr r1, =exit_block
    str r2, [r1, #4]
    movs r0, #SYS_EXIT_EXTENDED
    bkpt 0xab
    .ltorg

    .data
    .align 2
exit_block: .word APPLICATION_EXIT, 0

    .bss
    .align 4
input: .space 64
