/* The model's outputs on the console (see outputs.h), without printf, which would pull in
 * much of libc. */
#include "outputs.h"
#include "emu_model.h"
#include "semihost.h"

char *emu_append_text(char *out, const char *text)
{
    while (*text) {
        *out++ = *text++;
    }
    return out;
}

char *emu_append_number(char *out, uint32_t value)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (n) {
        *out++ = digits[--n];
    }
    return out;
}

void emu_report_outputs(const char *head)
{
    for (uint32_t i = 0; i < emu_model_output_count; i++) {
        const struct emu_tensor_io *io = &emu_model_outputs[i];
        char prefix[48];
        char *p = emu_append_text(emu_append_text(prefix, head), "output ");
        p = emu_append_number(p, i);
        *p++ = ' ';
        *p = 0;
        emu_write_hex_line(prefix, emu_arena + io->offset, io->bytes);
    }
}
