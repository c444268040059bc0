"""A smaller student for a user's model: the same layers at half the width.

Built-in tasks define their own students; for a model file emu halves the units and filters
of every layer except the last one with weights, which must keep the teacher's output size.
"""

from __future__ import annotations

import copy

from emu.errors import EmuError

WIDTH_KEYS = ("units", "filters")


def half_width_student(teacher):
    config = copy.deepcopy(teacher.get_config())
    layers = config["layers"]
    widened = [layer["config"] for layer in layers if any(k in layer["config"] for k in WIDTH_KEYS)]
    for layer in widened[:-1]:
        for key in WIDTH_KEYS:
            if key in layer:
                layer[key] = max(1, layer[key] // 2)
    for layer in layers:
        # a flattening reshape names the teacher's size; let it follow the student's
        if layer["class_name"] == "Reshape" and len(layer["config"]["target_shape"]) == 1:
            layer["config"]["target_shape"] = (-1,)
    try:
        return type(teacher).from_config(config)
    except (ValueError, TypeError) as e:
        raise EmuError(f"cannot make a half-width student: {e}") from None
