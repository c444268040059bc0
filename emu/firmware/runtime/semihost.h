/* Arm semihosting: how firmware talks to the host through the emulator (bkpt 0xab). */
#ifndef EMU_SEMIHOST_H
#define EMU_SEMIHOST_H

#include <stdint.h>

void emu_write(const char *text);           /* SYS_WRITE0: a NUL-terminated string */
void emu_write_hex_line(const char *prefix, const uint8_t *bytes, uint32_t count);
void emu_write_word_line(const char *prefix, const char *const *names, const uint32_t *values, int count);
__attribute__((noreturn)) void emu_exit(int code);

#endif
