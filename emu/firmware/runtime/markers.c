/* The markers the emulator watches. Each is a function of its own so it has an address
 * of its own; the empty asm keeps the compiler from merging or dropping them. */
#include "emu_model.h"

__attribute__((noinline)) void emu_mark_start(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void emu_mark_layer(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void emu_mark_end(void) { __asm__ volatile("" ::: "memory"); }
