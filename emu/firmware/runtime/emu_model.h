/* The interface between a generated model.c and the runtime that runs it. */
#ifndef EMU_MODEL_H
#define EMU_MODEL_H

#include <stdint.h>

/* Where one model input or output lives in the tensor arena. */
struct emu_tensor_io {
    uint32_t offset;
    uint32_t bytes;
};

#define EMU_ALIGNED __attribute__((aligned(8)))
#if defined(__arm__)
/* The arena is not zeroed at startup: the emulator writes the inputs into it before the
 * core starts, and every other byte is written by a kernel before it is read. */
#define EMU_NOINIT __attribute__((section(".noinit"), aligned(8)))
#else
#define EMU_NOINIT __attribute__((aligned(8)))
#endif

extern uint8_t emu_arena[];
extern const uint32_t emu_arena_bytes;
extern const struct emu_tensor_io emu_model_inputs[];
extern const struct emu_tensor_io emu_model_outputs[];
extern const uint32_t emu_model_input_count;
extern const uint32_t emu_model_output_count;

void emu_model_run(void);
/* Sets the model's variable tensors (LSTM and SVDF state, and its resource variables, kept
 * from one emu_model_run to the next) to their initial values, as TFLM's interpreter does when
 * it starts and on Reset(): call it once before the first inference, and again to start a new
 * sequence. Like TFLM's Reset(), it does not make a CALL_ONCE run its subgraph again. */
void emu_model_reset(void);

/* Markers the emulator watches: the measured window and the start of each operator. */
void emu_mark_start(void);
void emu_mark_layer(void);
void emu_mark_end(void);

#endif
