"""The command line: exit codes and one-line errors (README.md contracts)."""

import json
import subprocess
import sys

import pytest


def emu(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "emu", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def assert_one_line_error(result, code=2):
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("emu: error:"), result.stderr
    assert "Traceback" not in result.stderr


def test_platforms_json_lists_boards():
    result = emu("platforms", "--json")
    assert result.returncode == 0
    names = {p["name"] for p in json.loads(result.stdout)}
    assert "nucleo-l4r5zi" in names


@pytest.mark.parametrize("args", [
    ["build", "missing.tflite", "--platform", "nucleo-l4r5zi", "--out", "x"],
    ["build", "missing.tflite", "--platform", "no-such-board", "--out", "x"],
    ["bench", "missing.tflite", "--platform", "nucleo-l4r5zi"],
    ["no-such-command"],
    ["build"],
])
def test_bad_input_is_exit_2_with_one_line(args, tmp_path):
    assert_one_line_error(emu(*args, cwd=tmp_path))


def test_corrupt_model_is_exit_2(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x18\x00\x00\x00TFL3" + b"\xff" * 40)
    assert_one_line_error(emu("build", str(bad), "--platform", "nucleo-l4r5zi", "--out", str(tmp_path / "o")))
    assert not (tmp_path / "o").exists()


def test_help_shows_an_example():
    result = emu("build", "--help")
    assert result.returncode == 0 and "Example: emu build" in result.stdout
