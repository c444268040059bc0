/* The model's outputs on the console, where emu reads them (emu/results/outputs.py). */
#ifndef EMU_OUTPUTS_H
#define EMU_OUTPUTS_H

#include <stdint.h>

/* Each output as hex, 16 bytes a line: "emu: output <i> <hex>", or for sample k of a
 * validation run "emu: sample <k> output <i> <hex>" (sample < 0: a single inference). */
void emu_report_outputs(int32_t sample);

#endif
