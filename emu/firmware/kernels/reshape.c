/* Copy of a constant tensor into the arena; see reshape.h. */
#include "reshape.h"

#include <string.h>

void emu_copy(const emu_copy_params *p, const void *input, void *output)
{
    memcpy(output, input, (size_t)p->bytes);
}
