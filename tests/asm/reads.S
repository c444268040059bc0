@ Reads whose region the plugin decides from the instruction alone: PC-relative
@ (literal) loads, SP-relative loads and POP, and a literal load inside an IT
@ block whose condition fails, so it reads nothing.
    .include "common.inc"

    .text
    .thumb_func
reset:
    bl work
    exit_success
    .ltorg

    .thumb_func
work:
    push {r4, r5, r6, lr}
sp_load:
    ldr r0, [sp, #4]            @ one RAM read
wide_sp_load:
    ldr.w r1, [sp, #8]          @ one RAM read
literal16:
    ldr r2, literal_word        @ one flash read
literal32:
    ldr.w r3, literal_word      @ one flash read
    movs r4, #1
    cmp r4, #0
    it eq
skipped_load:
    ldreq r5, literal_word      @ condition fails: no read
pop_all:
    pop {r4, r5, r6, pc}        @ four RAM reads

    .align 2
literal_word: .word 0x12345678
