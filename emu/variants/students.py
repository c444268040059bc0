"""A smaller student for a user's model: the same layers, narrower.

Built-in tasks define their own students; for a model file emu scales the units and filters
of every layer except the last one with weights, which must keep the teacher's output size,
by the training's student_width (a half unless set).
"""

from __future__ import annotations

import copy

from emu.errors import EmuError

WIDTH_KEYS = ("units", "filters")


def narrower_student(teacher, width: float = 0.5):
    config = copy.deepcopy(teacher.get_config())
    layers = config["layers"]
    widened = [layer["config"] for layer in layers if any(k in layer["config"] for k in WIDTH_KEYS)]
    for layer in widened[:-1]:
        for key in WIDTH_KEYS:
            if key in layer:
                layer[key] = max(1, int(layer[key] * width))
    for layer in layers:
        # a flattening reshape names the teacher's size; let it follow the student's
        if layer["class_name"] == "Reshape" and len(layer["config"]["target_shape"]) == 1:
            layer["config"]["target_shape"] = (-1,)
    try:
        return type(teacher).from_config(config)
    except (ValueError, TypeError) as e:
        raise EmuError(f"cannot make a student at {width:.0%} of the teacher's width: {e}") from None
