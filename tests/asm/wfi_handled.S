@ A full 16-entry vector table whose SysTick has a handler of its own: an interrupt could
@ end the sleep, so the WFI must not end the run (nothing enables SysTick here, so the run
@ ends by its timeout).
    .syntax unified
    .thumb

    .section .vectors, "a"
    .word stack_top
    .word reset
    .rept 12
    .word fault_handler     @ NMI .. DebugMonitor, reserved slots included
    .endr
    .word fault_handler     @ PendSV
    .word systick_handler   @ SysTick

    .text
    .thumb_func
reset:
    movs r0, #0
wait_here:
    wfi
    b wait_here

    .thumb_func
fault_handler:
    b fault_handler

    .thumb_func
systick_handler:
    bx lr
