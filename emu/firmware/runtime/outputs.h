/* The model's outputs on the console, where emu reads them (emu/results/outputs.py). */
#ifndef EMU_OUTPUTS_H
#define EMU_OUTPUTS_H

#include <stdint.h>

/* Each output as hex, 16 bytes a line: "<head>output <i> <hex>". The head is "emu: " for
 * one inference, "emu: sample <k> " for sample k of a validation run. */
void emu_report_outputs(const char *head);

/* Appends text, or the decimal digits of a number, at `out`; each returns the new end. */
char *emu_append_text(char *out, const char *text);
char *emu_append_number(char *out, uint32_t value);

#endif
