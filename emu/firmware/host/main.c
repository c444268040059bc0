/* The generated model and kernels, built for the host: a fast check of the C itself.
 *
 * usage: host_model INPUT.bin OUTPUT.bin
 * INPUT.bin holds every model input's bytes, one after the other; OUTPUT.bin receives
 * every output's bytes the same way. The device build does not use this file.
 */
#include <stdio.h>
#include <string.h>

#include "emu_model.h"

void emu_mark_start(void) {}
void emu_mark_layer(void) {}
void emu_mark_end(void) {}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    for (uint32_t i = 0; i < emu_model_input_count; i++) {
        const struct emu_tensor_io *io = &emu_model_inputs[i];
        if (fread(emu_arena + io->offset, 1, io->bytes, in) != io->bytes) {
            fprintf(stderr, "input %u: short read\n", (unsigned)i);
            return 2;
        }
    }
    fclose(in);
    emu_mark_start();
    emu_model_run();
    emu_mark_end();
    FILE *out = fopen(argv[2], "wb");
    if (!out) {
        perror(argv[2]);
        return 2;
    }
    for (uint32_t i = 0; i < emu_model_output_count; i++) {
        const struct emu_tensor_io *io = &emu_model_outputs[i];
        fwrite(emu_arena + io->offset, 1, io->bytes, out);
    }
    fclose(out);
    return 0;
}
