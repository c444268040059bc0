"""Model variants and what each costs in accuracy.

From one trained model (a built-in task's or a user's .keras file with its data) this
package makes the forms a TinyML developer chooses between: float32, float16 weights,
dynamic-range and full-integer int8, quantization-aware trained, pruned, clustered and
distilled int8. It scores each on the host with the TFLM interpreter (LiteRT for the
forms TFLM rejects) and writes them with variants.json, which joins with `emu bench`
results by model and variant.

Stages: task (builtin, userfile) -> recipes (convert, qat, pruning, clustering,
distillation) -> scoring (host, metrics) and weights -> report, all driven by make.
"""

from emu.variants.expand import collapsed_in, expand_models, not_runnable_in, qualities_by_model
from emu.variants.recipes import VARIANT_NAMES

__all__ = ["collapsed_in", "expand_models", "not_runnable_in", "qualities_by_model", "VARIANT_NAMES"]
