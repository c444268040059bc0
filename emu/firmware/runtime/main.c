/* One inference: the emulator has written the inputs into the arena before reset. */
#include "emu_model.h"
#include "semihost.h"

/* "emu: output <index> " */
static void output_prefix(char *prefix, uint32_t index)
{
    const char *head = "emu: output ";
    while (*head) {
        *prefix++ = *head++;
    }
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + index % 10);
        index /= 10;
    } while (index);
    while (n) {
        *prefix++ = digits[--n];
    }
    *prefix++ = ' ';
    *prefix = 0;
}

int main(void)
{
    emu_model_reset();
    emu_mark_start();
    emu_model_run();
    emu_mark_end();
    for (uint32_t i = 0; i < emu_model_output_count; i++) {
        const struct emu_tensor_io *io = &emu_model_outputs[i];
        char prefix[24];
        output_prefix(prefix, i);
        emu_write_hex_line(prefix, emu_arena + io->offset, io->bytes);
    }
    return 0;
}
