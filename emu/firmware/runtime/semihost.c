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

/* No static line buffers: they would sit in RAM for the whole run to serve the few
 * lines printed after it. Lines are written in pieces from small stack buffers. */

/* "<prefix><hex of up to 16 bytes>\n" per line. */
void emu_write_hex_line(const char *prefix, const uint8_t *bytes, uint32_t count)
{
    char hex[16 * 2 + 2];
    do {
        uint32_t n = count < 16 ? count : 16;
        char *p = hex;
        for (uint32_t i = 0; i < n; i++) {
            *p++ = hex_digit(bytes[i] >> 4);
            *p++ = hex_digit(bytes[i] & 15);
        }
        *p++ = '\n';
        *p = 0;
        emu_write(prefix);
        emu_write(hex);
        bytes += n;
        count -= n;
    } while (count > 0);
}

static void write_hex_word(uint32_t value)
{
    char hex[11] = "0x";
    for (int i = 0; i < 8; i++) {
        hex[2 + i] = hex_digit((value >> (28 - 4 * i)) & 15);
    }
    hex[10] = 0;
    emu_write(hex);
}

/* "<prefix> name=0x%08x name=0x%08x ...\n" without printf, which would pull in much of libc.
 * A name ending in a space is written as "name 0x%08x". */
void emu_write_word_line(const char *prefix, const char *const *names, const uint32_t *values, int count)
{
    emu_write(prefix);
    for (int i = 0; i < count; i++) {
        const char *name = names[i];
        const char *last = name;
        while (last[1]) {
            last++;
        }
        emu_write(" ");
        emu_write(name);
        if (*last != ' ') {
            emu_write("=");
        }
        write_hex_word(values[i]);
    }
    emu_write("\n");
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

/* The heap for malloc: from the top of the stack (`end`, set by the linker script) up to the
 * end of RAM. The stack grows down from its top, away from the heap, so the two never meet,
 * and the stack's painted words stay intact for `emu profile`'s measure of its depth. A
 * request past the end of RAM fails with ENOMEM instead of writing over anything. */
#include <errno.h>
#include <stddef.h>

extern char end[], __heap_limit[];

void *_sbrk(ptrdiff_t increment)
{
    static char *brk = end;
    if (increment > __heap_limit - brk || increment < end - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *previous = brk;
    brk += increment;
    return previous;
}
