"""The silicon corpus: each sequence's cycles on real chips against emu's, per core.

    python benchmarks/silicon.py [--core cortex-m7]

Prints sequence, core, silicon, emu, error (emu - silicon), then one summary line per core.
Runs every sequence through `emu bsp`, arm-none-eabi-gcc and `emu profile`
(benchmarks/silicon_harness.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.silicon_corpus import BOARD_OF_CORE, by_core, error  # noqa: E402
from benchmarks.silicon_harness import measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--core", action="append", help="only these cores (repeatable)")
    args = parser.parse_args()
    groups = by_core()
    cores = args.core or list(groups)
    summaries = []
    print(f"{'sequence':34} {'core':14} {'silicon':>8} {'emu':>6} {'error':>6}  note")
    with tempfile.TemporaryDirectory() as tmp:
        for core in cores:
            sequences = groups[core]
            measured = measure(BOARD_OF_CORE[core], sequences, Path(tmp) / core)
            errors = []
            for seq in sequences:
                e = error(seq, measured[seq.name])
                errors.append(e)
                silicon = "-".join(map(str, seq.silicon)) if isinstance(seq.silicon, tuple) else f"{seq.silicon:g}"
                note = "known deviation" if seq.deviation else ("" if abs(e) <= 1 else "OFF")
                print(f"{seq.name:34} {core:14} {silicon:>8} {measured[seq.name]:>6g} {e:>+6g}  {note}")
            within = sum(abs(e) <= 1 for e in errors)
            exact = sum(e == 0 for e in errors)
            worst = max(errors, key=abs)
            summaries.append(f"{core:14} {len(errors):3} sequences, {exact} exact, {within} within 1 cycle, "
                             f"worst {worst:+g} cycles (board {BOARD_OF_CORE[core]})")
    print()
    print("\n".join(summaries))


if __name__ == "__main__":
    main()
