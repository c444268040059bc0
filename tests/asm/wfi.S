@ Turns interrupts off and sleeps: no interrupt can wake the core, so the run must end
@ at the WFI in sleep_forever. The vector table (common.inc) has no interrupt handler.
    .include "common.inc"

    .text
    .thumb_func
reset:
    movs r0, #0
    bl sleep_forever
    exit_success

    .type sleep_forever, %function
    .thumb_func
sleep_forever:
    cpsid i
wait_here:
    wfi
    b wait_here
    .size sleep_forever, . - sleep_forever
