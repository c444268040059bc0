/* One inference: the emulator has written the inputs into the arena before reset. */
#include "emu_model.h"
#include "outputs.h"

int main(void)
{
    emu_model_reset();
    emu_mark_start();
    emu_model_run();
    emu_mark_end();
    emu_report_outputs("emu: ");
    return 0;
}
