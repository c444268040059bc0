"""Output files are written whole and never through a link: a symbolic link at an output
name is replaced by a regular file and its target keeps its content; paths read from a
scenario file cannot reach outside its folders; a file where an output folder should be
is a one-line error."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from emu.cache import atomic_write
from tests.conftest import needs_arm_gcc

VICTIM_TEXT = "not to be overwritten\n"


def emu(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "emu", *map(str, args)], check=False, capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def assert_one_line_error(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("emu: error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def plant_links(folder, names, victims):
    """A symlink at each output name (and at a .tmp name beside it), all pointing at victim files."""
    folder.mkdir(parents=True, exist_ok=True)
    victims.mkdir(parents=True, exist_ok=True)
    for name in names:
        for link in (name, f".{name}.tmp", f"{name}.tmp"):
            target = victims / link.replace("/", "_")
            target.write_text(VICTIM_TEXT)
            (folder / link).symlink_to(target)


def assert_links_replaced(folder, names, victims):
    for victim in victims.iterdir():
        assert victim.read_text() == VICTIM_TEXT, f"{victim} was written through a link"
    for name in names:
        path = folder / name
        assert not path.is_symlink() and path.is_file(), f"{path} is still a link"
        assert path.read_bytes() != VICTIM_TEXT.encode()


def test_atomic_write_replaces_a_link_and_leaves_its_target(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT)
    (tmp_path / "out.json").symlink_to(victim)
    atomic_write(tmp_path / "out.json", "{}\n")
    assert victim.read_text() == VICTIM_TEXT
    assert not (tmp_path / "out.json").is_symlink() and (tmp_path / "out.json").read_text() == "{}\n"
    # the file gets the usual permissions, not a private temporary file's 0600
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out.json").stat().st_mode & 0o777 == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "victim.txt"]


@needs_arm_gcc
def test_build_replaces_links_at_firmware_elf_and_build_json(tiny_model, tmp_path):
    out, names = tmp_path / "out", ["firmware.elf", "build.json"]
    plant_links(out, names, tmp_path / "victims")
    result = emu("build", tiny_model, "--platform", "nucleo-l4r5zi", "--out", out)
    assert result.returncode == 0, result.stderr
    assert_links_replaced(out, names, tmp_path / "victims")
    assert (out / "firmware.elf").read_bytes()[:4] == b"\x7fELF"
    assert json.loads((out / "build.json").read_text())["platform"] == "nucleo-l4r5zi"


def test_bsp_replaces_links_at_its_files(tmp_path):
    out, names = tmp_path / "bsp", ["startup.c", "semihost.c", "semihost.h", "link.ld", "README.md"]
    plant_links(out, names, tmp_path / "victims")
    result = emu("bsp", "nucleo-l4r5zi", "--out", out)
    assert result.returncode == 0, result.stderr
    assert_links_replaced(out, names, tmp_path / "victims")
    assert "MEMORY" in (out / "link.ld").read_text()


@needs_arm_gcc
def test_run_output_and_profile_json_replace_links(tiny_model, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 5), dtype=np.int8))
    plant_links(tmp_path / "o", ["y.npy", "profile.json"], tmp_path / "victims")
    run = emu("run", tiny_model, "-p", "nucleo-l4r5zi", "--input", tmp_path / "x.npy",
              "--output", tmp_path / "o" / "y.npy")
    assert run.returncode == 0, run.stderr
    assert np.load(tmp_path / "o" / "y.npy").shape == (1, 3)
    assert emu("build", tiny_model, "-p", "nucleo-l4r5zi", "--out", tmp_path / "b").returncode == 0
    profile = emu("profile", tmp_path / "b" / "firmware.elf", "-p", "nucleo-l4r5zi",
                  "--json", tmp_path / "o" / "profile.json")
    assert profile.returncode == 0, profile.stderr
    assert json.loads((tmp_path / "o" / "profile.json").read_text())["cycles"] > 0
    assert_links_replaced(tmp_path / "o", ["y.npy", "profile.json"], tmp_path / "victims")


@pytest.mark.parametrize("command", [
    ["build", "MODEL", "--platform", "nucleo-l4r5zi", "--out", "taken"],
    ["bsp", "nucleo-l4r5zi", "--out", "taken"],
    ["bsp", "nucleo-l4r5zi", "--out", "taken/below"],
])
def test_out_naming_a_file_is_a_one_line_error(command, tiny_model, tmp_path):
    (tmp_path / "taken").write_text("a file\n")
    args = [str(tiny_model) if a == "MODEL" else a for a in command]
    assert_one_line_error(emu(*args, cwd=tmp_path), "taken")
    assert (tmp_path / "taken").read_text() == "a file\n"


# ---- paths read from a scenario file -------------------------------------------------------


def scenario_in(folder, model, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "tiny", "boards": ["nucleo-l4r5zi"],
                                    "models": [{"path": str(model), "variant": "int8"}], **extra}))
    return path


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("name", ["..", "."])
def test_a_scenario_name_cannot_leave_reports(name, tiny_model, tmp_path):
    work = tmp_path / "work"
    scenario = scenario_in(work / "sc", tiny_model, name=name)
    before = files_under(tmp_path)
    assert_one_line_error(emu("scenario", "run", scenario, cwd=work), "name")
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("baseline", ["../outside.json", "baselines/../../outside.json", "ABSOLUTE"])
def test_a_gate_baseline_cannot_leave_the_scenario_folder(baseline, tiny_model, tmp_path):
    work = tmp_path / "work"
    baseline = str(tmp_path / "outside.json") if baseline == "ABSOLUTE" else baseline
    scenario = scenario_in(work / "sc", tiny_model, gate={"baseline": baseline})
    before = files_under(tmp_path)
    assert_one_line_error(emu("scenario", "run", scenario, "--out", work / "run", cwd=work), "baseline")
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("junit", ["../junit.xml", "ABSOLUTE"])
def test_a_gate_junit_file_cannot_leave_the_run_folder(junit, tiny_model, tmp_path):
    work = tmp_path / "work"
    junit = str(tmp_path / "junit.xml") if junit == "ABSOLUTE" else junit
    scenario = scenario_in(work / "sc", tiny_model, gate={"baseline": "base.json", "junit": junit})
    (work / "sc" / "base.json").write_text(json.dumps({"emu_version": "0", "results": []}))
    before = files_under(tmp_path)
    assert_one_line_error(emu("scenario", "run", scenario, "--out", work / "run", cwd=work), "junit")
    assert files_under(tmp_path) == before


@needs_arm_gcc
def test_paths_inside_the_folders_are_written_there(tiny_model, tmp_path):
    work = tmp_path / "work"
    scenario = scenario_in(work / "sc", tiny_model, gate={"baseline": "baselines/base.json", "junit": "ci/junit.xml"})
    first = emu("scenario", "run", scenario, cwd=work)
    assert first.returncode == 0, first.stderr
    assert (work / "sc" / "baselines" / "base.json").is_file()
    assert (work / "reports" / "tiny" / "results.json").is_file()
    second = emu("scenario", "run", scenario, cwd=work)
    assert second.returncode == 0, second.stderr
    assert (work / "reports" / "tiny" / "ci" / "junit.xml").is_file()
