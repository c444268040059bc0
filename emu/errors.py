"""The kinds of failure the command line turns into exit codes (see README.md, exit codes)."""


class EmuError(Exception):
    """Bad input or a missing dependency: exit code 2, one line on stderr."""

    exit_code = 2


class CheckFailed(Exception):
    """A check did not hold (outputs differ, a gate regressed): exit code 1."""

    exit_code = 1


class FirmwareError(EmuError):
    """Emulated firmware faulted, waited for an interrupt that cannot come, or did not finish
    within its instruction budget or time: exit code 3, apart from bad input."""

    exit_code = 3
