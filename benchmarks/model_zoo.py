"""How much of the model zoo (tests/zoo/models.py) TFLM runs, and how much emu runs exactly as TFLM.

Every zoo model is converted to int8 (full integer), float32 and int16x8 (16-bit
activations, 8-bit weights) and checked by tests/zoo/harness.py: does TFLM's interpreter run
it, does emu compile it, and are all its outputs TFLM's (int8 and int16 exactly, float32
within 1e-5 relative). Prints a summary per form, one row per model and form with the first
reason the converter, TFLM or emu refuses it, and which operators block the most models.
tests/test_model_zoo.py holds emu to the same outcomes.

usage: python benchmarks/model_zoo.py [--models a,b,...] [--kinds int8,float32,int16x8] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.zoo.harness import EQUAL, Converter, Outcome, blocking_counts, run_zoo  # noqa: E402
from tests.zoo.models import KINDS, ZOO  # noqa: E402


def summary_rows(outcomes: list[Outcome], kinds=KINDS) -> list[list[str]]:
    rows = []
    for kind in kinds:
        mine = [o for o in outcomes if o.kind == kind]
        tflm = sum(o.tflm_runs for o in mine)
        equal = sum(o.emu == EQUAL for o in mine)
        rows.append([kind, f"{tflm}/{len(mine)}", f"{equal}/{tflm}"])
    return rows


def blocking_rows(outcomes: list[Outcome], kinds=KINDS) -> list[list]:
    """One row per blocking operator, most blocking first: the pairs it blocks, per form."""
    per_kind = {kind: blocking_counts([o for o in outcomes if o.kind == kind]) for kind in kinds}
    return [[name, total, *(per_kind[kind][name] for kind in kinds)]
            for name, total in blocking_counts(outcomes).most_common()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="comma-separated zoo names (default: all)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated forms")
    parser.add_argument("--json", type=Path, help="write every outcome to this JSON file")
    args = parser.parse_args(argv)
    names = args.models.split(",") if args.models else list(ZOO)
    kinds = args.kinds.split(",")
    unknown = [n for n in names if n not in ZOO] + [k for k in kinds if k not in KINDS]
    if unknown:
        print(f"emu: unknown zoo model or form: {', '.join(unknown)}", file=sys.stderr)
        return 2

    from emu.console import import_tensorflow, say, table_text

    import_tensorflow()
    converter = Converter()
    try:
        say(f"{len(names)} models, {len(kinds)} forms ...")
        outcomes = run_zoo(names, converter, kinds)
    finally:
        converter.close()
    print(table_text(["kind", "TFLM runs", "emu runs (outputs equal TFLM's)"], summary_rows(outcomes, kinds),
                     right=(1, 2)))
    print()
    print(table_text(["model", "kind", "TFLM", "emu", "first refusal or difference"],
                     [[o.model, o.kind, "runs" if o.tflm_runs else "no", o.emu, o.reason] for o in outcomes]))
    print()
    print(table_text(["operator emu refuses", "(model, form) pairs TFLM runs it blocks", *kinds],
                     blocking_rows(outcomes, kinds), right=range(1, 2 + len(kinds))))
    if args.json:
        from emu.cache import atomic_write
        from emu.errors import EmuError

        try:
            atomic_write(args.json, json.dumps([asdict(o) for o in outcomes], indent=1))
        except EmuError as e:  # atomic_write's one line names the file
            print(f"emu: {e}", file=sys.stderr)
            return 2
        except OSError as e:
            print(f"emu: cannot write {args.json}: {e.strerror}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
