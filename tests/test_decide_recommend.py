"""The recommender against a brute-force oracle over seeded random result tables.

The oracle is written from the rule as docs/decisions.md states it, independently of
emu.decide.recommend: on each board keep the rows that meet every constraint (and whose
output matched the reference); choose the best by the preference with the stated
tie-breaks; when none fits, the closest is the row with the smallest sum of relative
shortfalls. Every case is checked by exhaustive comparison, not by sorting.
"""

import math

import numpy as np
import pytest

from emu.decide import Candidate, Constraints, recommend
from emu.decide.explain import format_recommendation
from emu.decide.quality import VariantQuality, higher_is_better, infer_metric, quality_for
from emu.errors import EmuError

ROW = dict(model="m", model_sha256="ab" * 32, variant="int8", platform="b", core="cortex-m4", fpu=True,
           clock_hz=80_000_000, kernels="emu", instructions=1, cycles=1, latency_ms=1.0, energy_uj=1.0,
           flash_bytes=1, ram_bytes=1, arena_bytes=1, stack_bytes=1, output_matches_reference=True)

BOARDS = ["board-a", "board-b", "board-c"]
PREFERENCES = ["energy", "latency", "accuracy", "flash", "ram"]


def random_table(rng) -> list[Candidate]:
    rows = []
    for board in BOARDS[: rng.integers(1, 4)]:
        for v in range(rng.integers(1, 7)):
            # Coarse values make ties common, so the tie-breaks are exercised too.
            rows.append(Candidate(
                model=f"m{v % 2}", variant=f"v{v}", platform=board,
                quality=None if rng.random() < 0.1 else float(rng.choice([0.8, 0.85, 0.9, 0.95])),
                latency_ms=float(rng.choice([1.0, 2.0, 5.0, 10.0])), energy_uj=float(rng.choice([3.0, 7.0, 20.0])),
                ram_bytes=int(rng.choice([2048, 8192, 65536])), flash_bytes=int(rng.choice([16384, 131072])),
                cycles=int(rng.integers(1000, 10**6)),
                output_matches_reference=bool(rng.random() > 0.05),
                battery_days=None if rng.random() < 0.1 else float(rng.choice([100.0, 400.0, 900.0]))))
    return rows


def random_constraints(rng) -> Constraints:
    def maybe(values):
        return None if rng.random() < 0.4 else rng.choice(values).item()

    return Constraints(min_accuracy=maybe([0.82, 0.9, 0.95]), max_latency_ms=maybe([1.5, 5.0, 20.0]),
                       max_ram_bytes=maybe([4096, 65536]), max_flash_bytes=maybe([20000, 200000]),
                       max_energy_uj=maybe([5.0, 10.0, 50.0]), min_battery_days=maybe([365.0, 500.0]))


def fits(c: Candidate, k: Constraints) -> bool:
    if c.output_matches_reference is False:
        return False
    if k.min_accuracy is not None and (c.quality is None or c.quality < k.min_accuracy):
        return False
    if k.min_battery_days is not None and (c.battery_days is None or c.battery_days < k.min_battery_days):
        return False
    return ((k.max_latency_ms is None or c.latency_ms <= k.max_latency_ms)
            and (k.max_ram_bytes is None or c.ram_bytes <= k.max_ram_bytes)
            and (k.max_flash_bytes is None or c.flash_bytes <= k.max_flash_bytes)
            and (k.max_energy_uj is None or c.energy_uj <= k.max_energy_uj))


def better(a: Candidate, b: Candidate, prefer: str) -> bool:
    """True when a beats b: the preference, then accuracy (unknown last), energy, latency,
    flash, RAM, name, board."""
    def primary(c):
        if prefer == "accuracy":
            return -c.quality if c.quality is not None else math.inf
        return {"energy": c.energy_uj, "latency": c.latency_ms, "flash": c.flash_bytes, "ram": c.ram_bytes}[prefer]

    def accuracy_rank(c):
        return -c.quality if c.quality is not None else math.inf

    for x, y in ((primary(a), primary(b)), (accuracy_rank(a), accuracy_rank(b)), (a.energy_uj, b.energy_uj),
                 (a.latency_ms, b.latency_ms), (a.flash_bytes, b.flash_bytes), (a.ram_bytes, b.ram_bytes),
                 (a.label, b.label), (a.platform, b.platform)):
        if x != y:
            return x < y
    return False


def best_by_exhaustion(rows, prefer):
    """The one row no other row beats."""
    winners = [r for r in rows if not any(better(o, r, prefer) for o in rows if o is not r)]
    assert len(winners) <= 1
    return winners[0] if winners else None


def shortfall(c: Candidate, k: Constraints) -> float:
    if c.output_matches_reference is False:
        return math.inf
    total = 0.0
    for value, bound, floor in ((c.quality, k.min_accuracy, True), (c.latency_ms, k.max_latency_ms, False),
                                (c.ram_bytes, k.max_ram_bytes, False), (c.flash_bytes, k.max_flash_bytes, False),
                                (c.energy_uj, k.max_energy_uj, False), (c.battery_days, k.min_battery_days, True)):
        if bound is None:
            continue
        if value is None:
            return math.inf
        miss = bound - value if floor else value - bound
        total += max(miss, 0) / bound
    return total


def closest_by_exhaustion(rows, k, prefer):
    least = min(shortfall(r, k) for r in rows)
    tied = [r for r in rows if shortfall(r, k) == least or (math.isinf(least) and math.isinf(shortfall(r, k)))]
    return best_by_exhaustion(tied, prefer)


def test_recommendation_matches_brute_force_on_random_tables():
    rng = np.random.default_rng(20240611)
    cases_with_nothing_fitting = cases_with_a_choice = 0
    for case in range(1500):
        rows = random_table(rng)
        rng.shuffle(rows)
        k = random_constraints(rng)
        prefer = PREFERENCES[case % len(PREFERENCES)]
        rec = recommend(rows, k, prefer)
        for decision in rec.boards:
            on_board = [r for r in rows if r.platform == decision.board]
            want = best_by_exhaustion([r for r in on_board if fits(r, k)], prefer)
            assert decision.chosen == want, (case, decision.board)
            assert len(decision.rejected) == len(on_board) - (want is not None)
            for rejection in decision.rejected:
                assert rejection.reasons, "every rejected variant says why"
            if want is None:
                cases_with_nothing_fitting += 1
                assert decision.closest.candidate == closest_by_exhaustion(on_board, k, prefer), case
            else:
                cases_with_a_choice += 1
                assert decision.closest is None
        chosen = [d.chosen for d in rec.boards if d.chosen]
        assert rec.overall == best_by_exhaustion(chosen, prefer)
    assert cases_with_nothing_fitting > 100 and cases_with_a_choice > 100  # both branches exercised


def candidate(variant, board="b", **kw):
    values = dict(model="m", variant=variant, platform=board, quality=0.9, latency_ms=1.0, energy_uj=1.0,
                  ram_bytes=1024, flash_bytes=4096, cycles=1000)
    values.update(kw)
    return Candidate(**values)


def test_reasons_name_each_broken_constraint_with_numbers():
    rows = [candidate("big", latency_ms=12.0, ram_bytes=80 * 1024), candidate("ok", energy_uj=9.0),
            candidate("cheap", energy_uj=2.0)]
    rec = recommend(rows, Constraints(max_latency_ms=10, max_ram_bytes=64 * 1024), prefer="energy")
    d = rec.boards[0]
    assert d.chosen.variant == "cheap"
    why = {r.candidate.variant: r.reasons for r in d.rejected}
    assert why["big"] == ["latency 12 ms is over the 10 ms limit", "RAM 80.0 KB is over the 64.0 KB limit"]
    assert "better on energy" in why["ok"][0]


def test_when_nothing_fits_the_closest_is_named():
    rows = [candidate("slow", latency_ms=30.0), candidate("nearly", latency_ms=11.0)]
    rec = recommend(rows, Constraints(max_latency_ms=10))
    assert rec.overall is None and not rec.anything_fits
    assert rec.boards[0].closest.candidate.variant == "nearly"


def test_unknown_board_and_preference_are_bad_input():
    with pytest.raises(EmuError, match="no results for board"):
        recommend([candidate("a")], Constraints(boards=("elsewhere",)))
    with pytest.raises(EmuError, match="unknown preference"):
        recommend([candidate("a")], Constraints(), prefer="beauty")


# A regression model scored by RMSE: lower is better, so the floor is a ceiling (--max-error).
def test_an_error_metric_is_better_lower_and_takes_a_ceiling():
    rows = [candidate("fp32", quality=0.061, energy_uj=9.0, metric="rmse"),
            candidate("int8", quality=0.067, energy_uj=2.0, metric="rmse"),
            candidate("pruned", quality=0.250, energy_uj=1.0, metric="rmse")]
    best = recommend(rows, Constraints(metric="rmse"), prefer="accuracy")
    assert best.boards[0].chosen.variant == "fp32"  # the least error, not the most
    capped = recommend(rows, Constraints(metric="rmse", max_error=0.1), prefer="energy")
    assert capped.boards[0].chosen.variant == "int8"
    why = {r.candidate.variant: r.reasons for r in capped.boards[0].rejected}
    assert why["pruned"] == ["RMSE 0.250 is over the 0.100 allowed"]
    text = format_recommendation(capped)
    assert "RMSE 0.067" in text and "accuracy" not in text and "%" not in text.split("\n")[0]
    with pytest.raises(EmuError, match="better lower.*--max-error"):
        Constraints(metric="rmse", min_accuracy=0.9)
    with pytest.raises(EmuError, match="better higher.*--min-accuracy"):
        Constraints(metric="accuracy", max_error=0.1)


def test_the_metric_is_inferred_from_what_every_variant_has():
    def q(**metric):
        return VariantQuality("m", "v", metric)
    assert infer_metric([q(accuracy=0.9, roc_auc=0.95), q(accuracy=0.8)]) == "accuracy"
    assert infer_metric([q(rmse=0.1, mae=0.05), q(rmse=0.2, mae=0.1)]) == "rmse"
    assert infer_metric([q(val_loss=0.3)]) == "val_loss" and not higher_is_better("val_loss")
    with pytest.raises(EmuError, match="share no quality metric"):
        infer_metric([q(accuracy=0.9), q(rmse=0.1)])


def test_without_an_accuracy_floor_the_recommendation_says_so_first():
    rows = [candidate("int8", quality=0.54, energy_uj=1.0), candidate("fp32", quality=0.97, energy_uj=5.0)]
    text = format_recommendation(recommend(rows, Constraints(max_latency_ms=10)))
    first, second = text.splitlines()[:2]
    assert first.startswith("Warning: no accuracy limit was given (--min-accuracy)") and "54.0%" in first
    assert "meets every constraint" not in text and "meets the constraints given" in second
    floored = format_recommendation(recommend(rows, Constraints(min_accuracy=0.9, max_latency_ms=10)))
    assert floored.startswith("Ship m/fp32") and "meets every constraint" in floored
    unscored = [candidate("int8", quality=None), candidate("fp32", quality=None)]
    assert format_recommendation(recommend(unscored, Constraints())).startswith(
        "Warning: no accuracy is known for these results")


def test_results_carry_the_quality_bench_read_from_variants_json():
    from emu.decide.quality import qualities_from_results
    from emu.results.record import result_from_dict

    measured = result_from_dict({**ROW, "quality": {"accuracy": 0.93}})
    (quality,) = qualities_from_results([measured])
    assert quality.metric == {"accuracy": 0.93} and quality_for(measured, [quality]) is quality


# -- one decision per model: two models' results in one call

def result(model, variant, board, energy_uj, accuracy, latency_ms=1.0):
    from emu.results.record import result_from_dict

    return result_from_dict({**ROW, "model": model, "variant": variant, "platform": board, "energy_uj": energy_uj,
                             "latency_ms": latency_ms, "quality": {"accuracy": accuracy}})


# gesture is cheaper than mnet on every board: compared with each other, mnet never wins anywhere.
TWO_MODELS = [result("gesture", "int8", "board-a", 2.0, 0.93), result("gesture", "fp32", "board-a", 9.0, 0.95),
              result("mnet", "int8", "board-a", 20.0, 0.97), result("mnet", "fp32", "board-a", 80.0, 0.98),
              result("gesture", "int8", "board-b", 1.0, 0.93), result("mnet", "int8", "board-b", 10.0, 0.97)]


def two_model_decision(**kw):
    from emu.decide.candidates import candidates_from
    from emu.decide.per_model import decide
    from emu.decide.quality import qualities_from_results

    candidates = candidates_from(TWO_MODELS, qualities_from_results(TWO_MODELS))
    return candidates, decide(candidates, Constraints(min_accuracy=0.9), "energy", **kw)


def test_each_model_gets_its_own_decision_and_never_names_the_other():
    from emu.decide.explain import decision_to_dict, format_decision

    candidates, decision = two_model_decision()
    assert [s.model for s in decision.sections] == ["gesture", "mnet"] and not decision.compare_models
    k = Constraints(min_accuracy=0.9)
    for section in decision.sections:
        mine = [c for c in candidates if c.model == section.model]
        for board_decision in section.recommendation.boards:
            on_board = [c for c in mine if c.platform == board_decision.board]
            # the brute-force oracle over this model's rows alone
            assert board_decision.chosen == best_by_exhaustion([c for c in on_board if fits(c, k)], "energy")
            assert {r.candidate.model for r in board_decision.rejected} <= {section.model}
    mnet = decision.sections[1].recommendation
    assert [d.chosen.variant for d in mnet.boards] == ["int8", "int8"]  # mnet's own cheapest, on both boards
    text = format_decision(decision)
    preamble, gesture_text, mnet_text = text.split("\n== ")
    assert "2 models (gesture, mnet): each is decided on its own" in preamble
    assert "mnet" not in gesture_text and "gesture" not in mnet_text
    assert "rejected mnet/fp32: meets the constraints, but mnet/int8 is better on energy" in mnet_text
    as_json = decision_to_dict(decision)
    assert [m["model"] for m in as_json["models"]] == ["gesture", "mnet"]
    assert as_json["models"][1]["overall"]["label"] == "mnet/int8"


def test_models_are_compared_only_when_asked_by_name():
    from emu.decide.explain import format_decision

    _, decision = two_model_decision(compare_models=True)
    assert decision.compare_models and len(decision.sections) == 1
    text = format_decision(decision)
    assert text.startswith("Compared across models (--compare-models)")
    # weighed together, gesture/int8 is cheaper than anything of mnet's: as before this change
    assert "rejected mnet/int8: meets the constraints, but gesture/int8 is better on energy" in text


def test_variants_named_after_their_files_are_one_model():
    from emu.decide.candidates import model_of
    from emu.decide.per_model import decide

    # `emu variants` folders name every variant's file after the task (int8/digits.tflite): one model
    assert model_of("digits", "int8") == "digits"
    # files named after their variant (tiny_int8.tflite as variant int8) are variants of tiny
    assert model_of("tiny_int8", "int8") == model_of("tiny_fp32", "fp32") == "tiny"
    assert model_of("int8", "int8") == "int8" and model_of("kws_int8", "model") == "kws_int8"
    rows = [candidate("int8", model="tiny_int8", energy_uj=1.0), candidate("fp32", model="tiny_fp32", energy_uj=5.0)]
    decision = decide(rows, Constraints())
    assert [s.model for s in decision.sections] == ["tiny"] and decision.single.boards[0].chosen.variant == "int8"
    assert "models" not in format_recommendation(decision.single)


def test_recommend_command_decides_per_model_and_fails_for_a_model_with_no_fit(tmp_path):
    import json
    import subprocess
    import sys

    from emu.results.record import write_json

    write_json(TWO_MODELS, tmp_path / "results.json")
    run = subprocess.run([sys.executable, "-m", "emu", "recommend", "results.json", "--min-accuracy", "96%",
                          "--json", "rec.json"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    # gesture tops out at 95%: nothing of it fits; mnet ships; the check fails for gesture alone
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stderr.strip() == "emu: error: no variant meets the constraints on any board for model(s) gesture"
    saved = json.loads((tmp_path / "rec.json").read_text())
    assert [(m["model"], (m["overall"] or {}).get("label")) for m in saved["models"]] == [("gesture", None),
                                                                                         ("mnet", "mnet/int8")]
