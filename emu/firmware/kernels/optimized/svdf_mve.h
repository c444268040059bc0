/* SVDF, int8 with an int8 or an int16 state, with Helium: see svdf_dsp.h. */
#ifndef EMU_SVDF_MVE_H
#define EMU_SVDF_MVE_H

#include "svdf_dsp.h"

/* scratch: batches * filters int32 values */
void emu_svdf_s8_mve(const emu_svdf_s8_fast_params *p, const int8_t *input, const int8_t *weights_feature,
                     const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output, void *scratch);
/* the arguments of emu_svdf_s8_s16: int16 state and time weights */
void emu_svdf_s8_s16_mve(const emu_svdf_s8_fast_params *p, const int8_t *input, const int8_t *weights_feature,
                         const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output,
                         void *scratch);

#endif
