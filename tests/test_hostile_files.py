"""A corpus of hostile files other than models, and of the environment: results and variants
JSON, board, scenario and tolerance YAML, EMU_* variables, .npz and .npy headers, and names
that carry terminal control characters. Each case runs through the real `emu` command (in
this process; a few as real subprocesses) and must end as its expectation says:

- refused: exit 2 with one line on stderr, "emu: error: ...", holding the given words;
- ok: the given exit code, with the given words in what it printed (the right answer);

and in either case with no traceback, no internal error, no hang and no raw control
character in what was printed. The expectations are written by hand from the file each case
makes (the field it breaks, the variant that should win), not taken from emu's output.

`python -m tests.test_hostile_files` runs the corpus outside pytest and prints how many
cases end in each outcome (clean, internal error, wrongly accepted, hang, ...), which is how
the corpus is compared between two versions of emu.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from tests import in_process

ROOT = Path(__file__).resolve().parents[1]
SHARED_MODELS = ROOT.parent / "shared" / "models"
BOARD = "nucleo-l4r5zi"
CASE_SECONDS = 60


def emu_in_process(*args: str) -> tuple[int, str, str]:
    return in_process.emu_in_process(*args, seconds=CASE_SECONDS)


def emu_subprocess(*args: str, env: dict | None = None, cwd: Path = ROOT) -> tuple[int, str, str]:
    run = subprocess.run([sys.executable, "-m", "emu", *map(str, args)], capture_output=True, text=True,
                         timeout=CASE_SECONDS * 2, cwd=cwd, check=False,
                         env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    return run.returncode, run.stdout, run.stderr


# ---- the cases ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list]  # writes its files into a folder; returns the command's arguments
    expect: str = "refused"  # or "ok"
    says: tuple[str, ...] = ()  # words the error line (refused) or the output (ok) must hold
    code: int = 2  # the exit code expected
    env: dict = field(default_factory=dict)
    patch: Callable | None = None  # (monkeypatch) -> None: the environment the case runs in
    subprocess: bool = False
    needs: str | None = None  # a file of ../shared/models the case needs
    notes: bool = False  # progress notes may come before the error line


CASES: list[Case] = []


def case(name, make, expect="refused", *says, **options) -> None:
    options.setdefault("code", 0 if expect == "ok" else 2)
    CASES.append(Case(name, make, expect, tuple(says), **options))


def raw_controls(text: str) -> list[str]:
    return sorted({c for c in text if not c.isprintable() and c not in "\n"})


# A result row as `emu bench` writes it (README.md, result fields), with figures chosen by hand:
# on one board, int8 takes less energy than fp32 and both fit 10 ms.
ROW = {"model": "digits", "model_sha256": "ab" * 32, "variant": "int8", "platform": BOARD, "core": "cortex-m4",
       "fpu": True, "clock_hz": 120_000_000, "kernels": "optimized", "instructions": 900_000, "cycles": 1_200_000,
       "latency_ms": 10.0 * 0.5, "energy_uj": 120.0, "flash_bytes": 40_000, "ram_bytes": 9_000,
       "arena_bytes": 6_000, "stack_bytes": 400, "output_matches_reference": True,
       "layers": [{"index": 0, "op": "CONV_2D", "instructions": 600_000, "cycles": 800_000,
                   "path": "conv_2d/dsp", "macs": 100_000},
                  {"index": 1, "op": "FULLY_CONNECTED", "instructions": 300_000, "cycles": 400_000}]}
FP32 = {**ROW, "variant": "fp32", "cycles": 2_400_000, "latency_ms": 9.0, "energy_uj": 240.0, "flash_bytes": 90_000}


def rows(**changes) -> list[dict]:
    """The two rows, the first with `changes` (a value of DELETE removes the field)."""
    first = {k: v for k, v in {**ROW, **changes}.items() if v is not DELETE}
    return [first, dict(FP32)]


DELETE = object()


def json_file(name: str, document, text: str | None = None, raw: bytes | None = None):
    """make(): writes a JSON file (the document, or text or bytes as given) and returns its path."""
    def make(folder: Path) -> Path:
        path = folder / name
        if raw is not None:
            path.write_bytes(raw)
        else:
            path.write_text(text if text is not None else json.dumps(document))
        return path
    return make


def good_results(folder: Path) -> Path:
    return json_file("good.json", [ROW, FP32])(folder)


def recommend(results_maker, *extra):
    return lambda folder: ["recommend", results_maker(folder), "--max-latency-ms", "10", *extra]


def report(results_maker):
    return lambda folder: ["report", results_maker(folder), "--out", folder / "report"]


def gate(results_maker):
    return lambda folder: ["gate", results_maker(folder), "--baseline", good_results(folder),
                           "--junit", folder / "gate.xml"]


def baseline(results_maker):
    return lambda folder: ["baseline", results_maker(folder), "--out", folder / "baseline.json"]


# -- results JSON: each broken field through recommend, report and gate (the cases first)

BAD_FIELDS = [
    ("layers-a-string", {"layers": "CONV_2D"}, "layers"),
    ("cycles-a-string", {"cycles": "1200000"}, "cycles"),
    ("model-name-null", {"model": None}, "model"),
    ("latency-nan", {"latency_ms": math.nan}, "latency_ms"),
    ("energy-infinite", {"energy_uj": math.inf}, "energy_uj"),
    ("flash-negative", {"flash_bytes": -40_000}, "flash_bytes"),
    ("ram-a-string", {"ram_bytes": "9KB"}, "ram_bytes"),
]
for label, change, field_name in BAD_FIELDS:
    for command in (recommend, report, gate):
        case(f"results/{label}/{command.__name__}", command(json_file("r.json", rows(**change))), "refused",
             "r.json", field_name)

for label, change, field_name in [
    ("latency-minus-infinity", {"latency_ms": -math.inf}, "latency_ms"),
    ("energy-negative", {"energy_uj": -1.0}, "energy_uj"),
    ("cycles-negative", {"cycles": -5}, "cycles"),
    ("cycles-fractional", {"cycles": 1.5}, "cycles"),
    ("cycles-past-63-bits", {"cycles": 10**30}, "cycles"),
    ("variant-null", {"variant": None}, "variant"),
    ("platform-a-number", {"platform": 12}, "platform"),
    ("fpu-a-string", {"fpu": "yes"}, "fpu"),
    ("match-a-string", {"output_matches_reference": "true"}, "output_matches_reference"),
    ("clock-zero", {"clock_hz": 0}, "clock_hz"),
    ("clock-1e39", {"clock_hz": 1e39}, "clock_hz"),
    ("quality-nan", {"quality": {"accuracy": math.nan}}, "quality"),
    ("quality-a-word", {"quality": {"accuracy": "high"}}, "quality"),
    ("class-cycles-negative", {"cycles_by_class": {"alu": -1}}, "cycles_by_class"),
    ("uncertainty-negative", {"cycles_uncertainty_pct": -5.0}, "cycles_uncertainty_pct"),
    ("cycles-missing", {"cycles": DELETE}, "cycles"),
    ("layers-of-strings", {"layers": ["CONV_2D"]}, "layers"),
    ("layer-cycles-negative", {"layers": [{"index": 0, "op": "ADD", "instructions": 1, "cycles": -1}]}, "cycles"),
    ("layer-without-cycles", {"layers": [{"index": 0, "op": "ADD", "instructions": 1}]}, "cycles"),
]:
    case(f"results/{label}/recommend", recommend(json_file("r.json", rows(**change))), "refused", "r.json",
         field_name)

case("results/latency-nan/baseline", baseline(json_file("r.json", rows(latency_ms=math.nan))), "refused",
     "latency_ms")
case("results/nan-in-the-baseline/gate",
     lambda f: ["gate", good_results(f), "--baseline", json_file("b.json", rows(cycles=math.nan))(f),
                "--junit", f / "g.xml"], "refused", "b.json", "cycles")
case("results/nesting-100000", recommend(json_file("deep.json", None, text="[" * 100_000 + "]" * 100_000)),
     "refused", "deep.json", "nested")
case("results/nesting-100000-in-a-field",
     recommend(json_file("deep.json", None, text=json.dumps(rows())[:-2] + ', "quality": '
                         + "{\"a\": " * 100_000 + "1" + "}" * 100_000 + "}]")),
     "refused", "deep.json", "nested")
case("results/nesting-40-in-quality",
     recommend(json_file("deep.json", None, text=json.dumps(rows())[:-2] + ', "quality": '
                         + "{\"a\": " * 40 + "1" + "}" * 40 + "}]")),
     "refused", "deep.json", "nested")
case("results/key-given-twice", recommend(json_file("twice.json", None, text=json.dumps(rows())[:-2]
                                                    + ', "cycles": 1}]')),
     "refused", "twice.json", "cycles")
case("results/a-string", recommend(json_file("s.json", "results")), "refused", "s.json")
case("results/a-number", recommend(json_file("n.json", 12)), "refused", "n.json")
case("results/results-a-string", recommend(json_file("w.json", {"results": "none"})), "refused", "w.json")
case("results/rows-of-numbers", recommend(json_file("w.json", [1, 2])), "refused", "w.json")
case("results/not-json", recommend(json_file("x.json", None, text="{not json")), "refused", "x.json", "JSON")
case("results/not-utf8", recommend(json_file("x.json", None, raw=b"[\xff\xfe]")), "refused", "x.json", "UTF-8")
case("results/empty-file", recommend(json_file("x.json", None, text="")), "refused", "x.json")
case("results/5000-digit-integer", recommend(json_file("x.json", None, text=json.dumps(rows())
                                                       .replace("1200000", "9" * 5000, 1))),
     "refused", "x.json")


def _fifo(folder: Path) -> Path:
    path = folder / "fifo.json"
    os.mkfifo(path)
    return path


case("results/a-fifo", recommend(_fifo), "refused", "fifo.json", "not a regular file")
case("results/a-folder", recommend(lambda f: f), "refused", "not a regular file")
case("results/missing", recommend(lambda f: f / "none.json"), "refused", "none.json")

# -- results JSON that is right: the answer is the variant the figures above make the winner

case("results/valid/recommend", recommend(good_results), "ok", "int8")
case("results/valid-older-rows-and-unknown-fields/recommend",
     recommend(json_file("old.json", [{**{k: v for k, v in ROW.items() if k != "layers"},
                                       "layers": [{"index": 0, "op": "ADD", "instructions": 1, "cycles": 2}],
                                       "written_by": "a later emu"}, FP32])), "ok", "int8")
case("results/valid-as-a-baseline/gate",
     lambda f: ["gate", json_file("b.json", {"emu_version": "0", "results": [ROW, FP32]})(f), "--baseline",
                json_file("b2.json", {"results": [ROW, FP32]})(f), "--junit", f / "g.xml"], "ok", "passed")
case("results/valid/baseline", baseline(good_results), "ok", "2 row(s)")

# -- variants JSON: through recommend --variants (decisions) and bench DIR (what gets measured)

VARIANT = {"model": "digits", "variant": "int8", "metric": "accuracy", "value": 0.95,
           "confusion_matrix": [[5, 1], [0, 4]], "model_sha256": "ab" * 32}


def with_variants(document=None, text=None):
    return lambda f: ["recommend", good_results(f), "--variants",
                      json_file("variants.json", document, text=text)(f), "--min-accuracy", "90%"]


for label, change, words in [
    ("name-null", {"variant": None}, ("variant",)),
    ("value-nan", {"value": math.nan}, ("value",)),
    ("value-infinite", {"value": math.inf}, ("value",)),
    ("value-a-word", {"value": "high"}, ("value",)),
    ("accuracy-above-one", {"value": 1.5}, ("accuracy",)),
    ("accuracy-negative", {"value": -0.1}, ("accuracy",)),
    ("rmse-negative", {"metric": "rmse", "value": -2.0}, ("rmse",)),
    ("confusion-ragged", {"confusion_matrix": [[5, 1], [0]]}, ("confusion_matrix",)),
    ("confusion-negative", {"confusion_matrix": [[5, -1], [0, 4]]}, ("confusion_matrix",)),
    ("class-names-miscounted", {"class_names": ["a", "b", "c"]}, ("class_names",)),
    ("metric-a-number", {"metric": 3}, ("metric",)),
]:
    case(f"variants/{label}", with_variants({"variants": [{**VARIANT, **change}]}), "refused", "variants.json",
         *words)
case("variants/variants-a-string", with_variants({"variants": "int8"}), "refused", "variants.json")
case("variants/entry-a-number", with_variants({"variants": [7]}), "refused", "variants.json")
case("variants/nesting-100000", with_variants(text='{"variants": ' + "[" * 100_000 + "]" * 100_000 + "}"),
     "refused", "variants.json", "nested")
case("variants/key-given-twice", with_variants(text='{"variants": [], "variants": []}'), "refused",
     "variants.json", "twice")
case("variants/valid", with_variants({"variants": [VARIANT, {**VARIANT, "variant": "fp32", "value": 0.97}]}),
     "ok", "int8")

RECORD = {"model": "digits", "variant": "int8", "file": "digits_int8.tflite", "kind": "int8", "metric": "accuracy",
          "value": 0.95, "reference": "tflm", "confusion_matrix": None, "file_bytes": 1000, "weight_count": 100,
          "weight_sparsity": 0.1, "unique_weight_values": 200, "weight_dtypes": ["int8"], "runs_on_device": True,
          "not_runnable_reason": None, "model_sha256": "ab" * 32}


def bench_folder(*records, text=None):
    def make(folder: Path) -> list:
        target = folder / "variants"
        target.mkdir()
        json_file("variants.json", {"task": {}, "variants": list(records)}, text=text)(target)
        (folder / "secret.tflite").write_bytes(b"not for emu")
        return ["bench", target, "-p", BOARD, "--json", folder / "out.json"]
    return make


for label, change, words in [
    ("file-outside-the-folder", {"file": "../secret.tflite"}, ("file",)),
    ("file-absolute", {"file": "/etc/hostname"}, ("file",)),
    ("file-bytes-negative", {"file_bytes": -1}, ("file_bytes",)),
    ("sparsity-above-one", {"weight_sparsity": 2.0}, ("weight_sparsity",)),
    ("runs-on-device-a-string", {"runs_on_device": "yes"}, ("runs_on_device",)),
    ("value-nan", {"value": math.nan}, ("value",)),
    ("variant-null", {"variant": None}, ("variant",)),
    ("fields-missing", {"kind": DELETE, "reference": DELETE}, ("kind",)),
]:
    record = {k: v for k, v in {**RECORD, **change}.items() if v is not DELETE}
    case(f"variants-folder/{label}", bench_folder(record), "refused", "variants.json", *words)
case("variants-folder/nesting-100000", bench_folder(text='{"variants": ' + "[" * 100_000 + "]" * 100_000 + "}"),
     "refused", "variants.json", "nested")

# -- board files, through `emu bsp BOARD.yaml` (which reads the whole file and writes from it)


def board_text(**changes) -> str:
    text = (ROOT / "emu" / "boards" / f"{BOARD}.yaml").read_text()
    lines = [line for line in text.splitlines() if line.split(":")[0] not in changes]
    return "\n".join(lines + [f"{k}: {v}" for k, v in changes.items() if v is not DELETE]) + "\n"


def board(text: str):
    def make(folder: Path) -> list:
        (folder / "board.yaml").write_text(text)
        return ["bsp", folder / "board.yaml", "--out", folder / "bsp"]
    return make


original = (ROOT / "emu" / "boards" / f"{BOARD}.yaml").read_text()
for label, text, words in [
    ("clock-given-twice", original + "clock_hz: 999\n", ("clock_hz", "twice")),
    ("clock-40-digits", board_text(clock_hz=10**39), ("clock_hz",)),
    ("clock-a-float", board_text(clock_hz="1.2e+8"), ("clock_hz",)),
    ("clock-a-string", board_text(clock_hz='"120000000"'), ("clock_hz",)),
    ("ram-zero", board_text(ram_bytes=0), ("ram_bytes",)),
    ("ram-8-gb", board_text(ram_bytes=1 << 33), ("ram_bytes",)),
    ("flash-past-4-gb", board_text(flash_origin="0xfff00000", flash_bytes=2 << 20), ("flash",)),
    ("weights-region-without-size", board_text(weights_origin="0x28000000"), ("weights_origin", "both")),
    ("emulated-regions-overlap", board_text(ram_origin="0x00100000"), ("overlap",)),
    ("supply-nan", board_text(supply_v=".nan"), ("supply_v",)),
    ("supply-infinite", board_text(supply_v=".inf"), ("supply_v",)),
    ("supply-1000-v", board_text(supply_v=1000), ("supply_v",)),
    ("current-negative", board_text(run_current_ua_per_mhz=-1), ("run_current_ua_per_mhz",)),
    ("wait-states-1000", board_text(flash_wait_states=1000), ("flash_wait_states",)),
    ("cflag-plugin", board_text(cflags="[-mcpu=cortex-m4, -fplugin=/tmp/evil.so]"), ("cflags",)),
    ("cflag-wrapper", board_text(cflags="[-mcpu=cortex-m4, -wrapper, 'sh,-c,touch /tmp/x']"), ("cflags",)),
    ("cflag-response-file", board_text(cflags="['@/etc/passwd']"), ("cflags",)),
    ("machine-with-options", board_text(qemu_machine="'mps2-an386,memory-backend=x'"), ("qemu_machine",)),
    ("name-escape", board_text(name='"evil\\e[2J"'), ("name", "\\x1b")),
    ("name-newline", board_text(name='"two\\nlines"'), ("name",)),
    ("name-bidi-override", board_text(name='"abc\\u202Edcb"'), ("name",)),
    ("description-escape", board_text(description='"board \\e]0;title\\a"'), ("description",)),
    ("description-newline", board_text(description='"one\\n// two"'), ("description",)),
    ("unknown-field", board_text(turbo="yes"), ("turbo", "unknown")),
    ("alias-bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)), ("aliases",)),
]:
    case(f"board/{label}", board(text), "refused", "board.yaml", *words)
case("board/valid", board(board_text(name="my-board", clock_hz=48_000_000)), "ok", "link.ld", code=0)

# -- scenario files, through `emu scenario run` (refused before anything is measured)


def scenario(text: str, model: bool = True):
    def make(folder: Path) -> list:
        if model:
            (folder / "m.tflite").write_bytes(b"\0" * 64)
        (folder / "s.yaml").write_text(text)
        return ["scenario", "run", folder / "s.yaml", "--out", folder / "run"]
    return make


GOOD_SCENARIO = "models:\n  - path: m.tflite\nboards: [%s]\n" % BOARD
for label, text, words in [
    ("boards-given-twice", GOOD_SCENARIO + "boards: [rp2040-pico]\n", ("boards", "twice")),
    ("name-escape", 'name: "run\\e[2J"\n' + GOOD_SCENARIO, ("name", "\\x1b")),
    ("name-nul", 'name: "run\\0x"\n' + GOOD_SCENARIO, ("name", "\\x00")),
    ("seed-a-float", GOOD_SCENARIO + "seed: 1.5\n", ("seed",)),
    ("seed-negative", GOOD_SCENARIO + "seed: -1\n", ("seed",)),
    ("seed-40-bits", GOOD_SCENARIO + f"seed: {1 << 40}\n", ("seed",)),
    ("jobs-100000", GOOD_SCENARIO + "jobs: 100000\n", ("jobs",)),
    ("period-infinite", GOOD_SCENARIO + "duty_cycle: {period_s: .inf, battery_mah: 220, battery_v: 3}\n",
     ("period_s",)),
    ("battery-1e300-mah", GOOD_SCENARIO + "duty_cycle: {period_s: 60, battery_mah: 1.0e+300, battery_v: 3}\n",
     ("battery_mah",)),
    ("battery-1000-v", GOOD_SCENARIO + "duty_cycle: {period_s: 60, battery_mah: 220, battery_v: 1000}\n",
     ("battery_v",)),
    ("max-ram-infinite", GOOD_SCENARIO + "constraints: {max_ram_bytes: .inf}\n", ("max_ram_bytes",)),
    ("max-ram-fractional", GOOD_SCENARIO + "constraints: {max_ram_bytes: 1.5}\n", ("max_ram_bytes",)),
    ("max-ram-40-digits", GOOD_SCENARIO + f"constraints: {{max_ram_bytes: {10**39}}}\n", ("max_ram_bytes",)),
    ("max-latency-nan", GOOD_SCENARIO + "constraints: {max_latency_ms: .nan}\n", ("max_latency_ms",)),
    ("accuracy-150-percent", GOOD_SCENARIO + "constraints: {min_accuracy: 150%}\n", ("min_accuracy",)),
    ("gate-cycles-1e39", GOOD_SCENARIO + "gate: {baseline: b.json, cycles: 1e39}\n", ("cycles",)),
    ("gate-cycles-negative", GOOD_SCENARIO + "gate: {baseline: b.json, cycles: -2%}\n", ("cycles",)),
    ("model-metric-nan", "models:\n  - path: m.tflite\n    metric: {accuracy: .nan}\nboards: [%s]\n" % BOARD,
     ("metric",)),
    ("no-models", "models: []\nboards: [%s]\n" % BOARD, ("models",)),
    ("board-name-escape", "models:\n  - path: m.tflite\nboards: [\"evil\\e[2J\\0\"]\n", ("\\x1b", "\\x00")),
]:
    case(f"scenario/{label}", scenario(text), "refused", *words)

# -- gate tolerance files, through `emu gate --config`


def tolerances(text: str):
    def make(folder: Path) -> list:
        (folder / "tol.yaml").write_text(text)
        return ["gate", good_results(folder), "--baseline", good_results(folder), "--config", folder / "tol.yaml",
                "--junit", folder / "g.xml"]
    return make


for label, text, words in [
    ("cycles-given-twice", "gate:\n  cycles: 2%\n  cycles: 50%\n", ("cycles", "twice")),
    ("cycles-1e39", "gate: {cycles: 1e39}\n", ("cycles",)),
    ("cycles-nan", "gate: {cycles: .nan}\n", ("cycles",)),
    ("ram-negative", "gate: {ram: -5}\n", ("ram",)),
    ("unknown-key", "gate: {speed: 2%}\n", ("speed",)),
]:
    case(f"tolerances/{label}", tolerances(text), "refused", "tol.yaml", *words)
case("tolerances/valid", tolerances("gate: {cycles: 5%, ram: 0, flash: 1%}\n"), "ok", "passed", code=0)

# -- environment variables


def junk_model(folder: Path) -> Path:
    (folder / "m.tflite").write_bytes(b"\0" * 1000)
    return folder / "m.tflite"


def build_junk(folder: Path) -> list:
    return ["build", junk_model(folder), "-p", BOARD, "--out", folder / "build"]


for label, value in [("26-digits", "9" * 26), ("negative", "-5"), ("a-word", "lots"), ("5000-digits", "9" * 5000),
                     ("empty", "")]:
    case(f"env/EMU_MAX_MODEL_BYTES/{label}", build_junk, "refused", "EMU_MAX_MODEL_BYTES",
         env={"EMU_MAX_MODEL_BYTES": value})
case("env/EMU_MAX_MODEL_BYTES/100", build_junk, "refused", "1,000 bytes", "limit of 100",
     env={"EMU_MAX_MODEL_BYTES": "100"})


def run_args(folder: Path) -> list:
    np.save(folder / "x.npy", np.zeros((1, 1), np.int8))
    return ["run", junk_model(folder), "-p", BOARD, "-i", folder / "x.npy", "-o", folder / "y.npy"]


case("env/EMU_EMULATOR/unknown", run_args, "refused", "EMU_EMULATOR", "bochs", env={"EMU_EMULATOR": "bochs"})
case("env/EMU_EMULATOR/escape", run_args, "refused", "\\x1b", env={"EMU_EMULATOR": "qemu\x1b[2J"})
case("env/EMU_EMULATOR/bench", lambda f: ["bench", junk_model(f), "-p", BOARD], "refused", "bochs",
     env={"EMU_EMULATOR": "bochs"})


def build_real(folder: Path) -> list:
    return ["build", SHARED_MODELS / "hello_world_int8.tflite", "-p", BOARD, "--out", folder / "build"]


def cache_in_a_file(folder: Path) -> list:
    (folder / "cache-file").write_text("not a folder")
    os.environ["EMU_CACHE"] = str(folder / "cache-file")  # restored by the runner
    return build_real(folder)


def no_space(monkeypatch) -> None:
    """Every new folder and every flushed file on a full disk."""
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), kwargs.get("dir", "the cache"))
    monkeypatch.setattr(tempfile, "mkdtemp", full)
    monkeypatch.setattr(tempfile, "mkstemp", full)


def fresh_cache(folder: Path) -> list:
    os.environ["EMU_CACHE"] = str(folder / "cache")
    return build_real(folder)


case("env/EMU_CACHE/a-file", cache_in_a_file, "refused", "cache-file", needs="hello_world_int8.tflite")
case("env/EMU_CACHE/under-proc", build_real, "refused", "/proc/emu-cache", env={"EMU_CACHE": "/proc/emu-cache"},
     needs="hello_world_int8.tflite")
case("env/EMU_CACHE/full-disk", fresh_cache, "refused", "No space left", patch=no_space,
     needs="hello_world_int8.tflite")
case("env/full-disk-writing-a-baseline", baseline(good_results), "refused", "No space left", patch=no_space)

# -- .npz data (emu variants MODEL.tflite --data DATA.npz reads the data first) and .npy inputs

GOOD_ARRAYS = {"x_train": np.zeros((4, 3), np.float32), "y_train": np.arange(4), "x_test": np.zeros((2, 3), np.float32),
               "y_test": np.arange(2)}


def npy_bytes(array: np.ndarray | None = None, header: dict | None = None, data: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    if header is None:
        np.save(buffer, array, allow_pickle=True)
        return buffer.getvalue()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def npz(members: dict[str, bytes], name: str = "data.npz"):
    def make(folder: Path) -> list:
        with zipfile.ZipFile(folder / name, "w") as archive:
            for key, content in members.items():
                archive.writestr(key, content)
        junk_model(folder)
        return ["variants", folder / "m.tflite", "--data", folder / name, "--out", folder / "v"]
    return make


GOOD_MEMBERS = {f"{k}.npy": npy_bytes(v) for k, v in GOOD_ARRAYS.items()}
for label, member, words in [
    ("header-claims-80-gb", npy_bytes(header={"descr": "<f4", "fortran_order": False, "shape": (20_000_000_000,)},
                                      data=b"\0" * 48), ("x_train", "80,000,000,000")),
    ("header-claims-2-d-petabytes", npy_bytes(header={"descr": "<f8", "fortran_order": False,
                                                      "shape": (10**8, 10**8)}), ("x_train",)),
    ("pickled-objects", npy_bytes(np.array([1, "a", None], dtype=object)), ("x_train", "object")),
    ("structured-dtype", npy_bytes(np.zeros(4, dtype=[("a", "<i4"), ("b", "<f4")])), ("x_train",)),
    ("data-cut-short", npy_bytes(header={"descr": "<f4", "fortran_order": False, "shape": (4, 3)}, data=b"\0" * 8),
     ("x_train",)),
    ("not-an-array", b"hello", ("x_train",)),
    ("header-of-100-kb", b"\x93NUMPY\x02\x00" + (100_000).to_bytes(4, "little") + b" " * 100, ("x_train",)),
]:
    case(f"npz/{label}", npz({**GOOD_MEMBERS, "x_train.npy": member}), "refused", "data.npz", *words)
case("npz/arrays-missing", npz({"x_train.npy": GOOD_MEMBERS["x_train.npy"]}), "refused", "y_train")
case("npz/member-without-npy-suffix", npz({**{k: v for k, v in GOOD_MEMBERS.items() if k != "x_train.npy"},
                                           "x_train": GOOD_MEMBERS["x_train.npy"]}), "refused", "x_train")
case("npz/not-a-zip", lambda f: [*npz({})(f)[:3], json_file("d.npz", None, text="hello")(f)], "refused", "d.npz")


def npz_fifo(folder: Path) -> list:
    os.mkfifo(folder / "fifo.npz")
    junk_model(folder)
    return ["variants", folder / "m.tflite", "--data", folder / "fifo.npz"]


case("npz/a-fifo", npz_fifo, "refused", "fifo.npz", "not a regular file")


def run_with_input(member: bytes):
    def make(folder: Path) -> list:
        (folder / "x.npy").write_bytes(member)
        return ["run", SHARED_MODELS / "hello_world_int8.tflite", "-p", BOARD, "-i", folder / "x.npy",
                "-o", folder / "y.npy"]
    return make


for label, member, words in [
    ("header-claims-80-gb", npy_bytes(header={"descr": "|i1", "fortran_order": False, "shape": (80 * 10**9,)}),
     ("x.npy",)),
    ("pickled-objects", npy_bytes(np.array([None], dtype=object)), ("x.npy", "object")),
    ("not-npy", b"\x93NUMPX", ("x.npy", "not a .npy")),
]:
    case(f"npy/{label}", run_with_input(member), "refused", *words, needs="hello_world_int8.tflite")

# -- names printed: escaped, one table row a line (the answer itself must still be right)

HOSTILE = "int8\x1b[2J\u202egnp.\nrow\x00"
SHOWN = "int8\\x1b[2J\\u202egnp.\\nrow\\x00"
case("names/variant-in-results/recommend", recommend(json_file("r.json", rows(variant=HOSTILE))), "ok", SHOWN,
     code=0)
case("names/variant-in-results/gate",
     lambda f: ["gate", json_file("r.json", rows(variant=HOSTILE))(f), "--baseline",
                json_file("b.json", rows(variant=HOSTILE))(f), "--junit", f / "g.xml"], "ok", SHOWN, "passed", code=0)
case("names/board-in-results/recommend",
     recommend(json_file("r.json", [{**ROW, "platform": "board\x1b]0;pwned\x07"}])), "ok", "board\\x1b]0;pwned\\x07",
     code=0)
case("names/variant-in-variants-file",
     lambda f: ["recommend", json_file("r.json", rows(variant=HOSTILE))(f), "--variants",
                json_file("variants.json", {"variants": [{**VARIANT, "variant": HOSTILE}]})(f),
                "--min-accuracy", "90%"],
     "ok", SHOWN, code=0)
case("names/skipped-variant-of-a-folder",
     bench_folder({**RECORD, "variant": HOSTILE, "runs_on_device": False, "not_runnable_reason": "why\x1b[31m"}),
     "refused", "nothing to measure", notes=True)
case("names/unknown-platform", lambda f: ["bsp", "evil\x1b[2J\x07", "--out", f / "bsp"], "refused", "\\x1b[2J\\x07")

# -- a few through a real process: the exit code and stderr of the `emu` command itself

case("process/results-latency-nan", recommend(json_file("r.json", rows(latency_ms=math.nan))), "refused",
     "latency_ms", subprocess=True)
case("process/results-nesting-100000", recommend(json_file("deep.json", None, text="[" * 100_000 + "]" * 100_000)),
     "refused", "nested", subprocess=True)
case("process/board-name-escape", board(board_text(name='"evil\\e[2J"')), "refused", "\\x1b", subprocess=True)
case("process/EMU_MAX_MODEL_BYTES-26-digits", build_junk, "refused", "EMU_MAX_MODEL_BYTES",
     env={"EMU_MAX_MODEL_BYTES": "9" * 26}, subprocess=True)
case("process/npz-80-gb", npz({**GOOD_MEMBERS, "x_train.npy": npy_bytes(
    header={"descr": "<f4", "fortran_order": False, "shape": (20_000_000_000,)})}), "refused", "x_train",
    subprocess=True)
case("process/names-escaped", recommend(json_file("r.json", rows(variant=HOSTILE))), "ok", SHOWN, code=0,
     subprocess=True)


# ---- running a case --------------------------------------------------------------------------

def attempt(c: Case, folder: Path, monkeypatch) -> tuple[str, str]:
    """(outcome, what was printed): outcome is 'clean' when the case ended as expected, else
    what went wrong ('internal error', 'wrongly accepted', 'hang', ...)."""
    saved_cache = os.environ.get("EMU_CACHE")
    for name, value in c.env.items():
        monkeypatch.setenv(name, value)
    try:
        args = c.make(folder)
        if c.subprocess:
            env = {k: v for k, v in c.env.items()}
            env["EMU_CACHE"] = os.environ.get("EMU_CACHE", str(folder / "cache"))
            code, out, err = emu_subprocess(*args, env=env, cwd=folder)
        else:
            if c.patch:
                c.patch(monkeypatch)
            code, out, err = emu_in_process(*args)
    except in_process.Hang:
        return "hang", ""
    except subprocess.TimeoutExpired:
        return "hang", ""
    finally:
        monkeypatch.undo()
        if saved_cache is None:
            os.environ.pop("EMU_CACHE", None)
        else:
            os.environ["EMU_CACHE"] = saved_cache
    printed = f"exit {code}\n--- stdout\n{out}--- stderr\n{err}"
    lines = err.strip().splitlines()
    if c.notes:
        lines = lines[-1:]
    if "Traceback" in err or "internal error" in err:
        return "internal error", printed
    if raw_controls(out + err):
        return "raw control characters", printed
    if c.expect == "refused":
        if code == 0:
            return "wrongly accepted", printed
        if code != c.code or len(lines) != 1 or not lines[0].startswith("emu: error: "):
            return "unclear refusal", printed
        if not all(word in lines[0] for word in c.says):
            return "refused for another reason", printed
        return "clean", printed
    if code != c.code:
        return "wrongly refused", printed
    if not all(word in out for word in c.says):
        return "wrong answer", printed
    return "clean", printed


def _skip_reason(c: Case) -> str | None:
    if c.needs and not (SHARED_MODELS / c.needs).is_file():
        return f"{SHARED_MODELS / c.needs} is not present (the shared corpus is optional)"
    return None


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_hostile_file(c: Case, tmp_path, monkeypatch):
    reason = _skip_reason(c)
    if reason:
        pytest.skip(reason)
    monkeypatch.chdir(tmp_path)
    outcome, printed = attempt(c, tmp_path, monkeypatch)
    assert outcome == "clean", f"{c.name}: {outcome}\n{printed[:3000]}"


def test_the_corpus_covers_every_kind_of_file():
    kinds = Counter(c.name.split("/")[0] for c in CASES)
    assert len(CASES) >= 80
    for kind in ("results", "variants", "variants-folder", "board", "scenario", "tolerances", "env", "npz", "npy",
                 "names", "process"):
        assert kinds[kind] >= 2, kind


def test_a_terminal_safe_line_keeps_text_and_escapes_controls():
    from emu.errors import terminal_safe

    assert terminal_safe("a\x1b[2Jb\u202ec\x00d\ne") == "a\\x1b[2Jb\\u202ec\\x00d\ne"
    assert terminal_safe("a\nb", keep="") == "a\\nb"
    assert terminal_safe("café 'q' \"x\" C:\\path") == "café 'q' \"x\" C:\\path"  # printable text is left alone
    assert terminal_safe("caf\udce9") == "caf\\udce9"


def test_json_depth_is_measured_without_parsing():
    from emu.configs import json_depth

    assert json_depth("[]") == 1
    assert json_depth('{"a": [1, {"b": "[[[[]"}]}') == 3  # brackets inside strings do not count
    assert json_depth('["\\"[[["]') == 1  # nor after an escaped quote
    assert json_depth('[{"a": [[], {}]}, [[[[]]]]]') == 5
    assert json_depth("[" * 100_000 + "]" * 100_000, limit=32) == 33  # it stops past the limit
    assert json_depth("[" * 100_000) == 0  # unpaired: left for the parser to refuse


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 100_000 + "}" * 100_000, '{"a": ' * 100_000])
def test_unpaired_deep_brackets_are_refused_in_one_line(text, tmp_path):
    from emu.configs import read_json
    from emu.errors import EmuError

    (tmp_path / "x.json").write_text(text)
    with pytest.raises(EmuError, match="x.json: nested more than the 32 levels"):
        read_json(tmp_path / "x.json", "a results file")


# ---- the corpus outside pytest: counts by outcome -----------------------------------------------

def main() -> None:
    outcomes: Counter = Counter()
    wrong = []
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.setdefault("EMU_CACHE", str(Path(scratch) / "cache"))
        start = os.getcwd()
        for i, c in enumerate(CASES):
            if _skip_reason(c):
                outcomes["skipped"] += 1
                continue
            folder = Path(scratch) / f"case{i}"
            folder.mkdir()
            os.chdir(folder)
            with pytest.MonkeyPatch.context() as monkeypatch:
                outcome, printed = attempt(c, folder, monkeypatch)
            os.chdir(start)
            shutil.rmtree(folder, ignore_errors=True)
            outcomes[outcome] += 1
            if outcome != "clean":
                first = next((line for line in printed.splitlines()[3:] if line.strip()), "")
                wrong.append(f"{outcome:26} {c.name}: {first[:150]!r}")
    print("\n".join(wrong))
    print(f"{len(CASES)} cases: " + ", ".join(f"{n} {k}" for k, n in outcomes.most_common()))


if __name__ == "__main__":
    main()


def test_a_cache_on_a_really_full_disk_is_one_line(tmp_path):
    """A tmpfs with no inodes left: making the run's scratch folder fails with ENOSPC (where a
    folder is made with mkdtemp, which emu used to let through as an internal error)."""
    model = SHARED_MODELS / "hello_world_int8.tflite"
    if not model.is_file():
        pytest.skip(f"{model} is not present (the shared corpus is optional)")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,nr_inodes=4", "tmpfs", str(disk)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        (disk / "cache" / "tmp").mkdir(parents=True)  # three of the four inodes: root, cache, tmp
        code, out, err = emu_subprocess("build", model, "-p", BOARD, "--out", tmp_path / "build",
                                        env={"EMU_CACHE": str(disk / "cache")})
    finally:
        subprocess.run(["umount", str(disk)], check=False)
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"emu: error: cannot create a folder in {disk}/cache/tmp") and \
        line.endswith(": No space left on device"), err
    assert not (tmp_path / "build" / "firmware.elf").exists() and not (tmp_path / "build" / "build.json").exists()


def test_hostile_names_leave_the_junit_file_well_formed_and_the_markdown_table_whole(tmp_path):
    """A name with an escape and a NUL (which XML 1.0 cannot carry) and a newline and a pipe
    (which would split a Markdown row): the gate's JUnit XML parses, report.md keeps one row a line."""
    import xml.etree.ElementTree as ET

    name = "int8\x1b[2J|\n\x00"
    fresh = json_file("fresh.json", rows(variant=name, cycles=9_000_000))(tmp_path)
    base = json_file("base.json", rows(variant=name))(tmp_path)
    code, out, err = emu_in_process("gate", fresh, "--baseline", base, "--junit", tmp_path / "gate.xml")
    assert code == 1 and not raw_controls(out + err), err
    cases = {c.get("classname") for c in ET.parse(tmp_path / "gate.xml").iter("testcase")}
    assert "emu.gate.digits.int8\\x1b[2J|\\n\\x00.nucleo-l4r5zi" in cases
    code, out, err = emu_in_process("report", fresh, "--out", tmp_path / "report")
    assert code == 0, err
    table = [line for line in (tmp_path / "report" / "report.md").read_text().splitlines() if line.startswith("| ")]
    assert len(table) == 3  # the header and the two rows
    assert "digits/int8\\x1b[2J\\|\\n\\x00" in table[1] + table[2]
    assert not raw_controls((tmp_path / "report" / "report.md").read_text())
