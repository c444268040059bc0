@ Counting program: three segments whose executions are easy to count by hand.
@ Segment 0: a countdown loop of LOOPS iterations (subs + bne).
@ Segment 1: READS iterations that read flash, RAM and a system register.
@ Segment 2: a countdown loop closed by a 32-bit conditional branch.
@ Code before the start marker and after the end marker lies outside the window.
    .include "common.inc"

    .equ LOOPS, 10
    .equ READS, 7
    .equ WIDE_LOOPS, 5

    .type emu_mark_start, %function
    .type emu_mark_layer, %function
    .type emu_mark_end, %function

    .text
    .thumb_func
reset:
    bl before
    bl emu_mark_start
seg0:
    movs r0, #LOOPS
loop0:
    subs r0, #1
    bne loop0
seg0_call:
    bl emu_mark_layer
seg1:
    ldr r1, =flash_word
    ldr r2, =ram_word
    ldr r5, =0xE000ED00         @ CPUID: neither flash nor RAM
    movs r0, #READS
loop1:
    ldr r3, [r1]
    ldr r4, [r2]
    ldr r6, [r5]
    subs r0, #1
loop1_cbz:
    cbz r0, seg1_call
loop1_back:
    b loop1
seg1_call:
    bl emu_mark_layer
seg2:
    movs r0, #WIDE_LOOPS
loop2:
    subs r0, #1
    bne.w loop2
seg2_call:
    bl emu_mark_end
    bl after
    ldr r0, =stack_text
    bl puts
    exit_success
    .ltorg

    .thumb_func
before:
    movs r0, #1
    adds r0, #2
    bx lr

    .thumb_func
after:
    movs r0, #3
    bx lr

@ Markers: the window and the segments turn on their first instruction.
    .thumb_func
emu_mark_start:
    bx lr
    .thumb_func
emu_mark_layer:
    bx lr
    .thumb_func
emu_mark_end:
    bx lr

    .section .rodata
    .align 2
flash_word: .word 0x11111111
stack_text: .asciz "emu: stack-low 0x2000fe00\n"

    .data
    .align 2
ram_word: .word 0x22222222
