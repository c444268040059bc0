/* A validation run (`emu validate`): many inferences in one boot, over the test samples that
 * samples.c (written by emu/compile/samples.py) holds in flash, each sample's inputs one
 * after the other in the order of emu_model_inputs. Every output is reported as it is
 * computed, so a run that stops shows how far it came.
 *
 * Nothing carries over from one sample to the next: the model's variable tensors (an LSTM's
 * or SVDF's state) are reset before each, as the reference interpreter is reset before every
 * sample of a stateful model, and every other arena byte is written before it is read. */
#include <string.h>

#include "emu_model.h"
#include "outputs.h"

extern const uint8_t emu_samples[];
extern const uint32_t emu_sample_count;
extern const uint32_t emu_sample_bytes;

int main(void)
{
    for (uint32_t k = 0; k < emu_sample_count; k++) {
        const uint8_t *sample = emu_samples + k * emu_sample_bytes;
        for (uint32_t i = 0; i < emu_model_input_count; i++) {
            const struct emu_tensor_io *io = &emu_model_inputs[i];
            memcpy(emu_arena + io->offset, sample, io->bytes);
            sample += io->bytes;
        }
        emu_model_reset();
        emu_model_run();
        char head[24];
        char *end = emu_append_number(emu_append_text(head, "emu: sample "), k);
        end[0] = ' ';
        end[1] = 0;
        emu_report_outputs(head);
    }
    return 0;
}
