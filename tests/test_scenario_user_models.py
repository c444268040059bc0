"""A scenario takes the user's own models with their data: a Keras model whose variants are made
and scored here, and a .tflite file scored with its data (its accuracy measured, not typed
in). The accuracies are checked against the TFLM interpreter run here, sample by sample."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from emu.decide import load_scenario
from emu.errors import EmuError
from emu.orchestrate import run_scenario
from emu.results.cached_measure import ResultsCache
from emu.variants.convert import full_int8
from tests.conftest import needs_arm_gcc
from tests.test_user_variants import interpreter_accuracy as accuracy_by_interpreter
from tests.test_user_variants import trained_classifier


@pytest.fixture(scope="module")
def user_model(tmp_path_factory):
    """The user's small Keras classifier, saved as a file, with its data."""
    folder = tmp_path_factory.mktemp("user")
    model, x, labels = trained_classifier(4)
    model.save(folder / "pad.keras")
    (folder / "pad_int8.tflite").write_bytes(full_int8(model, x[:100]))
    np.savez(folder / "data.npz", x_train=x[:180], y_train=labels[:180], x_test=x[180:], y_test=labels[180:])
    return folder


def interpreter_accuracy(model: bytes, data) -> float:
    return accuracy_by_interpreter(model, data["x_test"], data["y_test"])


@needs_arm_gcc
def test_a_keras_model_and_a_tflite_file_with_their_data_in_one_scenario(user_model, tmp_path):
    scenario = tmp_path / "mine.yaml"
    scenario.write_text(yaml.safe_dump({
        "name": "mine", "boards": ["nucleo-l4r5zi"],
        "models": [{"path": str(user_model / "pad.keras"), "data": str(user_model / "data.npz"),
                    "variants": ["int8", "fp32"], "training": {"patience": 2}},
                   {"path": str(user_model / "pad_int8.tflite"), "data": str(user_model / "data.npz"),
                    "variant": "mine-int8"}],
        "validate": {"samples": 20}}))
    outcome = run_scenario(scenario, out=tmp_path / "run", cache=ResultsCache(), write_report=False)
    rows = {(r.model, r.variant): r for r in outcome.results}
    assert set(rows) == {("pad", "int8"), ("pad", "fp32"), ("pad_int8", "mine-int8")}
    assert all(r.output_matches_reference for r in rows.values())
    data = np.load(user_model / "data.npz")
    made = tmp_path / "run" / "models" / "pad"
    for variant in ("int8", "fp32"):
        model = (made / variant / "pad.tflite").read_bytes()
        assert rows[("pad", variant)].quality["accuracy"] == pytest.approx(interpreter_accuracy(model, data))
    given = (user_model / "pad_int8.tflite").read_bytes()
    assert rows[("pad_int8", "mine-int8")].quality["accuracy"] == pytest.approx(interpreter_accuracy(given, data))
    # validated on the device with their own data: every one of the first 20 test samples bit-identical
    validated = {(v["model"], v["variant"]): v for v in outcome.validations}
    assert set(validated) == {("pad", "int8"), ("pad", "fp32"), ("pad_int8", "mine-int8")}
    first = {k: data[k][:20] for k in ("x_test", "y_test")}
    for v in validated.values():
        assert v["samples"] == 20 and v["differing_samples"] == 0 and v["device"] == v["host"]
    assert validated[("pad_int8", "mine-int8")]["device"] == pytest.approx(interpreter_accuracy(given, first))


@pytest.mark.parametrize("entry, complaint", [
    ({"path": "m.keras"}, "a Keras model needs its 'data: DATA.npz'"),
    ({"path": "m.tflite", "training": {"patience": 2}}, "'training' applies to a task or a Keras model"),
    ({"path": "m.tflite", "variants": ["int8"]}, "'variants' are made from a task or a Keras model"),
    ({"task": "sine", "data": "d.npz"}, "'data' and 'kind' belong to a model file"),
    ({"path": "m.keras", "data": "d.npz", "training": {"temperature": -1}},
     "m.keras: training settings: temperature must be above 0"),
])
def test_user_model_entries_are_checked_when_the_file_is_read(entry, complaint, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump({"models": [entry], "boards": ["rp2040-pico"]}))
    with pytest.raises(EmuError) as refused:
        load_scenario(scenario)
    assert complaint in str(refused.value) and "\n" not in str(refused.value)
