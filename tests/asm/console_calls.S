@ Every console call emu answers: SYS_WRITE0, SYS_WRITEC, and on a ":tt" handle opened
@ for writing (newlib's stdout) SYS_WRITE, SYS_ISTTY, SYS_FLEN and SYS_CLOSE, each result
@ printed in hex. Exits normally.
    .include "common.inc"

    .macro show label
    push {r0}
    ldr r0, =\label
    bl puts
    pop {r0}
    bl put_hex
    ldr r0, =newline
    bl puts
    .endm

    .text
    .thumb_func
reset:
    ldr r0, =greeting
    bl puts                     @ SYS_WRITE0
    movs r0, #SYS_WRITEC
    ldr r1, =bang
    bkpt 0xab
    movs r0, #SYS_OPEN
    ldr r1, =open_block
    bkpt 0xab
    ldr r4, =handle
    str r0, [r4]
    ldr r1, =write_block
    str r0, [r1]
    movs r0, #SYS_WRITE
    bkpt 0xab
    show unwritten_text         @ SYS_WRITE returns the bytes not written
    movs r0, #SYS_ISTTY
    mov r1, r4
    bkpt 0xab
    show istty_text
    movs r0, #SYS_FLEN
    mov r1, r4
    bkpt 0xab
    show flen_text
    movs r0, #SYS_CLOSE
    mov r1, r4
    bkpt 0xab
    show close_text
    exit_success
    .ltorg

    .section .rodata
greeting: .asciz "hello from the firmware\n"
bang: .byte '!'
tt: .asciz ":tt"
line: .ascii "\nwritten to :tt\n"
    .equ line_length, . - line
unwritten_text: .asciz "unwritten "
istty_text: .asciz "istty "
flen_text: .asciz "flen "
close_text: .asciz "close "

    .data
    .align 2
open_block: .word tt, 4, 3                  @ mode 4: "w", which is stdout
write_block: .word 0, line, line_length
handle: .word 0
