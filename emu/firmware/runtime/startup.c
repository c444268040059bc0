/* Reset and fault handling for any Cortex-M part emu builds for.
 *
 * Reset copies initialised data, zeroes bss, turns the FPU on when the build uses it,
 * paints the stack so its deepest use can be measured, and calls main. Its return value
 * leaves through semihosting. Faults print the faulting PC and fault status registers
 * and exit non-zero, so a crash is reported where it happened instead of hanging.
 * The linker script that emu writes for each board provides the symbols below.
 */
#include <stdint.h>

#include "semihost.h"

#define STACK_PAINT 0x5afec0deu
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

int main(void);
void emu_reset_handler(void);
void emu_fault_handler(void);

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    __stack_top,
    emu_reset_handler,
    emu_fault_handler, /* NMI */
    emu_fault_handler, /* HardFault */
    emu_fault_handler, /* MemManage */
    emu_fault_handler, /* BusFault */
    emu_fault_handler, /* UsageFault */
    emu_fault_handler, /* SecureFault (Armv8-M) */
    0, 0, 0,
    emu_fault_handler, /* SVCall: nothing here uses it */
    emu_fault_handler, /* DebugMonitor */
    0,
    emu_fault_handler, /* PendSV */
    emu_fault_handler, /* SysTick */
};

/* Paint from the stack limit up to just below the current frame. */
__attribute__((noinline)) static void paint_stack(void)
{
    uint32_t here;
    uint32_t *top = (uint32_t *)((uintptr_t)&here & ~7u) - 16;
    for (uint32_t *p = __stack_limit; p < top; p++) {
        *p = STACK_PAINT;
    }
}

void emu_report_stack(void)
{
    uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT) {
        p++;
    }
    static const char *const names[] = {"stack-low "};
    uint32_t low = (uint32_t)(uintptr_t)p;
    emu_write_word_line("emu:", names, &low, 1);
}

void emu_reset_handler(void)
{
    for (uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __bss_start; dst < __bss_end;) {
        *dst++ = 0;
    }
#if defined(__ARM_FP)
    /* CP10 and CP11 full access, before the first floating-point instruction. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    paint_stack();
    int code = main();
    emu_report_stack();
    emu_exit(code);
}

__attribute__((used)) void emu_fault_report(const uint32_t *frame)
{
    static const char *const names[] = {"pc", "cfsr", "hfsr", "lr"};
    uint32_t values[4] = {frame[6], SCB_CFSR, SCB_HFSR, frame[5]};
    emu_write_word_line("emu: fault", names, values, 4);
    emu_exit(3);
}

/* Find the exception frame (main or process stack, bit 2 of EXC_RETURN) and report it.
 * Written with Armv6-M instructions so that the same code serves every core. */
__attribute__((naked)) void emu_fault_handler(void)
{
    __asm__ volatile(
        "movs r0, #4\n\t"
        "mov r1, lr\n\t"
        "tst r0, r1\n\t"
        "beq 1f\n\t"
        "mrs r0, psp\n\t"
        "b 2f\n"
        "1:\n\t"
        "mrs r0, msp\n"
        "2:\n\t"
        "ldr r1, =emu_fault_report\n\t"
        "bx r1\n");
}
