"""Quantization-aware training: fine-tune with int8 rounding simulated in the forward pass,
so the weights settle where int8 arithmetic loses the least.

tfmot's default scheme knows the layers of image models; a model with layers it does not
know (Conv1D and the BatchNormalization after it, in most sensor models) is annotated layer
by layer: Conv1D gets its kernel and activation quantized as tfmot's own Dense and Conv2D
are, and a layer without weights of its own to quantize (normalization, reshapes) gets its
output quantized. A layer with weights emu cannot annotate (an LSTM) leaves the variant
unmade, with the layer named.
"""

from __future__ import annotations

from emu.errors import EmuError
from emu.variants.keras2 import copy_model, keras, seed_everything, tfmot
from emu.variants.messages import tf_first_line
from emu.variants.task import Task
from emu.variants.training import finetune

# Layers whose own weights the converter folds into the layers around them, or turns into
# plain arithmetic that full-integer quantization calibrates: quantizing their output is enough.
OUTPUT_ONLY = ("BatchNormalization",)


def quantization_aware(task: Task):
    seed_everything(task.seed)
    try:
        model = quantize(copy_model(task.teacher))
    except (ValueError, RuntimeError, TypeError) as e:
        raise EmuError(f"tfmot cannot quantize: {tf_first_line(e)}; choose other variants with --variant") from None
    finetune(task, model)
    return model


def quantize(model):
    api = tfmot().quantization.keras
    registry = api.default_8bit.Default8BitQuantizeRegistry()
    if all(registry.supports(layer) for layer in model.layers if type(layer).__name__ != "InputLayer"):
        return api.quantize_model(model)
    configs = _configs()

    def annotate(layer):
        if registry.supports(layer):
            return api.quantize_annotate_layer(layer)
        if isinstance(layer, keras().layers.Conv1D):
            return api.quantize_annotate_layer(layer, configs["KernelAndActivation"]())
        if type(layer).__name__ in OUTPUT_ONLY or not layer.weights:
            return api.quantize_annotate_layer(layer, configs["OutputOnly"]())
        raise EmuError(f"tfmot cannot quantize {type(layer).__name__} layers ({layer.name}); "
                       f"the other variants are made")

    annotated = keras().models.clone_model(model, clone_function=annotate)
    with api.quantize_scope(configs):
        return api.quantize_apply(annotated)


def _configs() -> dict:
    """tfmot QuantizeConfig classes, made when tfmot is loaded (it is an optional extra)."""
    api = tfmot().quantization.keras
    quantizers = api.quantizers

    def weights_quantizer():
        # symmetric, narrow-range int8 weights, as TFLite's int8 kernels expect
        return quantizers.LastValueQuantizer(num_bits=8, symmetric=True, narrow_range=True, per_axis=False)

    def values_quantizer():
        return quantizers.MovingAverageQuantizer(num_bits=8, symmetric=False, narrow_range=False, per_axis=False)

    class KernelAndActivation(api.QuantizeConfig):
        def get_weights_and_quantizers(self, layer):
            return [(layer.kernel, weights_quantizer())]

        def get_activations_and_quantizers(self, layer):
            return [(layer.activation, values_quantizer())]

        def set_quantize_weights(self, layer, quantize_weights):
            layer.kernel = quantize_weights[0]

        def set_quantize_activations(self, layer, quantize_activations):
            layer.activation = quantize_activations[0]

        def get_output_quantizers(self, layer):
            return []

        def get_config(self):
            return {}

    class OutputOnly(api.QuantizeConfig):
        def get_weights_and_quantizers(self, layer):
            return []

        def get_activations_and_quantizers(self, layer):
            return []

        def set_quantize_weights(self, layer, quantize_weights):
            pass

        def set_quantize_activations(self, layer, quantize_activations):
            pass

        def get_output_quantizers(self, layer):
            return [values_quantizer()]

        def get_config(self):
            return {}

    return {"KernelAndActivation": KernelAndActivation, "OutputOnly": OutputOnly}
