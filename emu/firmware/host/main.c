/* The generated model and kernels, built for the host: a fast check of the C itself.
 *
 * usage: host_model INPUT.bin OUTPUT.bin [reset]
 * INPUT.bin holds every model input's bytes, one after the other; OUTPUT.bin receives
 * every output's bytes the same way. INPUT.bin may hold several such sets: the model then
 * runs once per set, in order, without a reset between them, so state kept in variable
 * tensors carries from one inference to the next as in one TFLM interpreter invoked again;
 * with `reset`, emu_model_reset() runs before each, as a validation run on the device does
 * (and TFLM's Reset() between invocations of one interpreter).
 * The device build does not use this file.
 */
#include <stdio.h>
#include <string.h>

#include "emu_model.h"

void emu_mark_start(void) {}
void emu_mark_layer(void) {}
void emu_mark_end(void) {}

/* One set of inputs from `in`: 1 when read, 0 at the end of the file, -1 when cut short. */
static int read_inputs(FILE *in)
{
    for (uint32_t i = 0; i < emu_model_input_count; i++) {
        const struct emu_tensor_io *io = &emu_model_inputs[i];
        size_t got = fread(emu_arena + io->offset, 1, io->bytes, in);
        if (got != io->bytes) {
            return (i == 0 && got == 0) ? 0 : -1;
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "reset") == 0)) {
        fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin [reset]\n", argv[0]);
        return 2;
    }
    const int reset_each = argc == 4;
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    FILE *out = fopen(argv[2], "wb");
    if (!out) {
        perror(argv[2]);
        return 2;
    }
    emu_model_reset();
    int runs = 0;
    for (;;) {
        int status = read_inputs(in);
        if (status < 0 || (status == 0 && runs == 0)) {
            fprintf(stderr, "inference %d: short read\n", runs);
            return 2;
        }
        if (status == 0) {
            break;
        }
        if (reset_each && runs > 0) {
            emu_model_reset();
        }
        emu_mark_start();
        emu_model_run();
        emu_mark_end();
        for (uint32_t i = 0; i < emu_model_output_count; i++) {
            const struct emu_tensor_io *io = &emu_model_outputs[i];
            fwrite(emu_arena + io->offset, 1, io->bytes, out);
        }
        runs++;
    }
    fclose(in);
    fclose(out);
    return 0;
}
