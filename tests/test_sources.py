"""Citations point into the repository: every fact's source is in docs/sources.md (or
docs/timing.md), never in files a clone does not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("emu", "docs")
# Files outside the repository that citations used to point at.
OUTSIDE = re.compile(r"shared/|\.\./[\w./-]*reference|DESIGN\.md|shared DESIGN|shared reference|"
                     r"cortex-m-timing\.md|qemu-machines\.md|silicon-measurements\.md")
ANCHOR_CITED = re.compile(r"sources\.md#([A-Za-z0-9_-]+)")
ANCHOR_DEFINED = re.compile(r'<a id="([A-Za-z0-9_-]+)"></a>')
# A path into this repository, as the code's comments and the docs write one: from one of
# these top folders, not inside another path or a URL (no "/" or word just before it).
REPO_PATH = re.compile(r"(?<![\w./-])((?:emu|docs|tests|benchmarks|scenarios)/[\w./*-]*[\w*])")
# FILE, NAME, test_NAME...: a part the reader fills in (its name, or the end of it, in
# capitals), not a file of this repository.
PLACEHOLDER = re.compile(r"(?:^|/)(?:[\w-]*_)?[A-Z][A-Z0-9]*(?:\.\w+)?(?:/|$)")


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z", *CHECKED], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def text_of(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError):
        return ""


def test_no_citation_points_outside_the_repository():
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for path in tracked_files()
                 for n, line in enumerate(text_of(path).splitlines(), 1) if OUTSIDE.search(line)]
    assert not offenders, "\n".join(offenders)


def test_every_cited_anchor_exists():
    defined = set(ANCHOR_DEFINED.findall(text_of(ROOT / "docs" / "sources.md")))
    cited = {(anchor, str(path.relative_to(ROOT)))
             for path in tracked_files() for anchor in ANCHOR_CITED.findall(text_of(path))}
    assert cited, "nothing cites docs/sources.md"
    missing = sorted(f"{where}: #{anchor}" for anchor, where in cited if anchor not in defined)
    assert not missing, "\n".join(missing)


def named_repo_paths(text: str) -> list[str]:
    return [p for p in REPO_PATH.findall(text) if not PLACEHOLDER.search(p)]


def path_exists(path: str) -> bool:
    """A file or folder of the checkout; a pattern (emu/timing/cortex_*.py) must match one."""
    return any(ROOT.glob(path)) if "*" in path else (ROOT / path).exists()


def test_every_repository_path_named_in_the_code_and_docs_exists():
    # emu's sources (comments, docstrings, help texts), docs/*.md and the README.
    texts = [p for p in tracked_files() if p.suffix in (".py", ".c", ".h", ".yaml", ".md", ".S", ".ld")
             and (p.parts[len(ROOT.parts)] == "emu" or p.parent == ROOT / "docs")] + [ROOT / "README.md"]
    missing = [f"{path.relative_to(ROOT)}:{n}: {named}"
               for path in texts for n, line in enumerate(text_of(path).splitlines(), 1)
               for named in named_repo_paths(line) if not path_exists(named)]
    assert len(texts) > 100
    assert not missing, "\n".join(missing)


def test_the_checks_catch_what_they_are_for():
    assert OUTSIDE.search("(shared/reference/qemu-machines.md)")
    assert OUTSIDE.search("# see cortex-m-timing.md") and OUTSIDE.search("fields (DESIGN.md)")
    assert ANCHOR_CITED.findall("(docs/sources.md#qemu-mps2, docs/sources.md#slothy)") == ["qemu-mps2", "slothy"]
    line = ("# the model in emu/timing/model.py, (see docs/timing.md). emu/timing/cortex_*.py; write "
            "scenarios/FILE.yaml, tests/test_NAME.py or reports/demo; https://x.org/docs/a.rst; /usr/emu/x.py")
    assert named_repo_paths(line) == ["emu/timing/model.py", "docs/timing.md", "emu/timing/cortex_*.py"]
    assert [path_exists(p) for p in named_repo_paths(line)] == [False, True, True]
