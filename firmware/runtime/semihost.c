/* Semihosting calls (Arm "Semihosting for AArch32 and AArch64", operation numbers in r0,
 * the argument block in r1, trapped by bkpt 0xab on M-profile). */
#include "semihost.h"

#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static int semihost_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void emu_write(const char *text)
{
    semihost_call(SYS_WRITE0, text);
}

static char hex_digit(unsigned v)
{
    return (char)(v < 10 ? '0' + v : 'a' + v - 10);
}

/* "<prefix><hex of up to 32 bytes>\n" per line, so the line buffer stays small. */
void emu_write_hex_line(const char *prefix, const uint8_t *bytes, uint32_t count)
{
    static char line[104];
    do {
        uint32_t n = count < 32 ? count : 32;
        char *p = line;
        for (const char *s = prefix; *s; s++) {
            *p++ = *s;
        }
        for (uint32_t i = 0; i < n; i++) {
            *p++ = hex_digit(bytes[i] >> 4);
            *p++ = hex_digit(bytes[i] & 15);
        }
        *p++ = '\n';
        *p = 0;
        emu_write(line);
        bytes += n;
        count -= n;
    } while (count > 0);
}

/* "<prefix> name=0x%08x name=0x%08x ...\n" without printf, which would pull in much of libc.
 * A name ending in a space is written as "name 0x%08x". */
void emu_write_word_line(const char *prefix, const char *const *names, const uint32_t *values, int count)
{
    static char line[96];
    char *p = line;
    for (const char *s = prefix; *s; s++) {
        *p++ = *s;
    }
    for (int i = 0; i < count; i++) {
        *p++ = ' ';
        const char *s = names[i];
        for (; *s; s++) {
            *p++ = *s;
        }
        if (s[-1] != ' ') {
            *p++ = '=';
        }
        *p++ = '0';
        *p++ = 'x';
        for (int shift = 28; shift >= 0; shift -= 4) {
            *p++ = hex_digit((values[i] >> shift) & 15);
        }
    }
    *p++ = '\n';
    *p = 0;
    emu_write(line);
}

void emu_exit(int code)
{
    if (code == 0) {
        semihost_call(SYS_EXIT, (const void *)ADP_STOPPED_APPLICATION_EXIT);
    } else {
        const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
        semihost_call(SYS_EXIT_EXTENDED, block);
    }
    for (;;) {
    }
}
