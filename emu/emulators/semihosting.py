"""What firmware may ask of the host through semihosting, and emu answering it over a
gdbstub only emu can reach; with QEMU's system-call filter, the box untrusted firmware runs in.

QEMU's own semihosting (`target=native`) does what the firmware asks with the user's
rights: SYS_SYSTEM runs a shell command, SYS_OPEN opens any file for reading or writing,
SYS_REMOVE and SYS_RENAME change the file system. Started with
`-semihosting-config enable=on,target=gdb`, QEMU hands every call that would touch the
host to its gdbstub instead, as a GDB File-I/O request (`Fwrite,1,20001000,e`), and waits
for the answer. That gdbstub is one end of a socket pair passed to QEMU as a descriptor:
no port, no path, nothing else can connect. emu answers only what its firmware and a
user's bare-metal firmware need:

- writes to the console (SYS_WRITE0, SYS_WRITEC, SYS_WRITE on a ":tt" handle: GDB file
  descriptors 0 to 2) become the run's console text;
- SYS_ISTTY, SYS_CLOSE, SYS_FLEN and SYS_SEEK on the console are answered as a terminal
  would answer them (newlib's semihosting stdio asks these);
- everything else is refused: opening a host file (for reading or writing), SYS_REMOVE,
  SYS_RENAME, SYS_SYSTEM, and reading the console (SYS_READC, SYS_READ), since emu gives
  firmware no input that way (inputs are placed in memory before boot) and a read would
  wait until the time limit. A refused call is never answered: QEMU is killed while it
  waits, and the run ends as a firmware failure naming the call and where it was made.

QEMU still answers by itself, without reaching the host's files: SYS_EXIT and
SYS_EXIT_EXTENDED (its exit status), SYS_CLOCK, SYS_TIME, SYS_ELAPSED, SYS_TICKFREQ,
SYS_HEAPINFO, SYS_ERRNO, SYS_ISERROR, SYS_GET_CMDLINE, SYS_TMPNAM (a name, no file) and
the opens of ":tt" and ":semihosting-features". An operation number QEMU does not know
stops QEMU ("Unsupported SemiHosting SWI").

Where QEMU was built with seccomp, it also runs under `-sandbox` (`sandbox_options`): no
new processes, no privilege changes, no obsolete system calls. The gdbstub costs nothing
while the firmware runs (no breakpoints are set), about 150 us per console write.
"""

from __future__ import annotations

import functools
import re
import select
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from emu import processes
from emu.emulators.process import GRACE_S, read_text, stop
from emu.emulators.trace import Exit
from emu.errors import shown
from emu.tools import locate, tool_version

# ---- the policy --------------------------------------------------------------------------

# Operation numbers (in r0 at the `bkpt 0xab`), docs/sources.md#arm-semihosting.
CALL_NAMES = {
    0x01: "SYS_OPEN", 0x02: "SYS_CLOSE", 0x03: "SYS_WRITEC", 0x04: "SYS_WRITE0",
    0x05: "SYS_WRITE", 0x06: "SYS_READ", 0x07: "SYS_READC", 0x08: "SYS_ISERROR",
    0x09: "SYS_ISTTY", 0x0A: "SYS_SEEK", 0x0C: "SYS_FLEN", 0x0D: "SYS_TMPNAM",
    0x0E: "SYS_REMOVE", 0x0F: "SYS_RENAME", 0x10: "SYS_CLOCK", 0x11: "SYS_TIME",
    0x12: "SYS_SYSTEM", 0x13: "SYS_ERRNO", 0x15: "SYS_GET_CMDLINE", 0x16: "SYS_HEAPINFO",
    0x18: "SYS_EXIT", 0x19: "SYS_SYNCCACHE", 0x20: "SYS_EXIT_EXTENDED", 0x30: "SYS_ELAPSED",
    0x31: "SYS_TICKFREQ",
}
# The call behind each File-I/O request, for when r0 cannot be read.
REQUEST_CALLS = {
    "open": "SYS_OPEN", "close": "SYS_CLOSE", "read": "SYS_READ", "write": "SYS_WRITE",
    "lseek": "SYS_SEEK", "isatty": "SYS_ISTTY", "fstat": "SYS_FLEN", "unlink": "SYS_REMOVE",
    "rename": "SYS_RENAME", "system": "SYS_SYSTEM",
}
# The only GDB file descriptors a firmware can name without an open emu refuses: QEMU maps
# the console calls and ":tt" handles to them.
CONSOLE_FDS = (0, 1, 2)
# File-I/O protocol values, docs/sources.md#gdb-file-io.
GDB_O_WRONLY, GDB_O_RDWR = 0x1, 0x2
GDB_ESPIPE, GDB_EFAULT = 29, 14
GDB_S_IFCHR = 0o020000
GDB_STAT_SIZE = 64  # struct stat as GDB sends it, big-endian; st_mode at offset 8

# Console text kept per run: far beyond any output emu parses; the rest is dropped, so a
# firmware printing in a loop cannot fill emu's memory.
CONSOLE_LIMIT = 16 << 20


@dataclass(frozen=True)
class Refusal:
    """A semihosting call emu does not answer."""

    call: str  # "SYS_SYSTEM", or "0x40" for a number without a name
    asked: str = ""  # what it asked for, escaped: "'touch /tmp/x'", "'/etc/hostname' for reading"
    pc: int | None = None  # the address of the `bkpt 0xab`, when it could be read

    @property
    def detail(self) -> str:
        return f"{self.call} ({self.asked})" if self.asked else self.call

    def as_exit(self) -> Exit:
        return Exit(kind="refused", pc=self.pc, detail=self.detail)


def refusal_message(detail: str, where: str = "") -> str:
    """The one line a refused call ends in: `detail` from Refusal.detail, `where` e.g.
    ' at pc 0x00000124 in main'."""
    return f"firmware made semihosting call {detail}{where}, which emu does not allow"


# ---- the GDB remote protocol -------------------------------------------------------------


class Closed(Exception):
    """QEMU closed its end of the connection: it exited."""


class GdbConnection:
    """The client end of QEMU's gdbstub: `$payload#checksum` packets, acknowledged with '+'
    until QEMU agrees to stop (QStartNoAckMode). Every wait ends at `deadline`
    (time.monotonic()) with TimeoutError."""

    READ_CHUNK = 1024  # bytes of guest memory per `m` request (QEMU 7.2 answers at most 2048)

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline = sock, deadline
        self.received = b""
        self.acknowledging = True

    def request(self, payload: str) -> str:
        self.send(payload)
        return self.receive()

    def send(self, payload: str) -> None:
        data = payload.encode("latin-1")
        self._write(b"$%s#%02x" % (data, sum(data) & 0xFF))
        if self.acknowledging:
            while not self.received:
                self._fill()
            if self.received[:1] != b"+":
                raise ConnectionError(f"gdbstub did not acknowledge a packet: {self.received[:20]!r}")
            self.received = self.received[1:]

    def receive(self) -> str:
        while True:
            start = self.received.find(b"$")
            end = self.received.find(b"#", start) if start >= 0 else -1
            if end >= 0 and len(self.received) >= end + 3:
                break
            self._fill()
        payload, checksum = self.received[start + 1:end], self.received[end + 1:end + 3]
        self.received = self.received[end + 3:]
        if int(checksum, 16) != sum(payload) & 0xFF:
            raise ConnectionError("gdbstub sent a packet with a bad checksum")
        if self.acknowledging:
            self._write(b"+")
        return payload.decode("latin-1")

    def stop_acknowledging(self) -> None:
        # Halves the round trips of every console write; QEMU has supported it since 2.x.
        if self.request("QStartNoAckMode") == "OK":
            self.acknowledging = False

    def read_memory(self, address: int, length: int) -> bytes:
        data = b""
        while len(data) < length:
            n = min(self.READ_CHUNK, length - len(data))
            reply = self.request(f"m{address + len(data):x},{n:x}")
            if not reply or reply.startswith("E"):
                raise MemoryError(f"cannot read {n} bytes of guest memory at {address + len(data):#x}")
            data += bytes.fromhex(reply)
        return data

    def write_memory(self, address: int, data: bytes) -> bool:
        return self.request(f"M{address:x},{len(data):x}:{data.hex()}") == "OK"

    def registers(self) -> list[int]:
        """r0 to r15 (more may follow in the reply; not needed here)."""
        reply = self.request("g")
        if reply.startswith("E") or len(reply) < 16 * 8:
            return []
        return [int.from_bytes(bytes.fromhex(reply[i:i + 8]), "little") for i in range(0, 16 * 8, 8)]

    def _fill(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0 or not select.select([self.sock], [], [], left)[0]:
            raise TimeoutError
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            raise Closed from None
        if not data:
            raise Closed
        self.received += data

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            raise Closed from None  # QEMU exited, e.g. right after its exit packet


def number(field: str) -> int:
    """A hex field of a File-I/O request. QEMU 10.1.0 to 10.1.2 write a `pointer/length`
    argument as `pointer/lengthx` (a format bug fixed in 10.1.3), so a tail is ignored."""
    digits = re.match(r"[0-9a-fA-F]+", field)
    if not digits:
        raise ValueError(f"not a hex number: {field!r}")
    return int(digits[0], 16)


# ---- serving one run ---------------------------------------------------------------------


@dataclass
class Served:
    """What the firmware asked of the host in one run."""

    console: bytearray = field(default_factory=bytearray)
    refusal: Refusal | None = None
    timed_out: bool = False  # the time limit passed with QEMU still running

    @property
    def text(self) -> str:
        return self.console.decode("utf-8", errors="replace")


class Refused(Exception):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.detail)
        self.refusal = refusal


class Gdbstub:
    """A private gdbstub for one QEMU run: a socket pair whose one end QEMU inherits.

        with Gdbstub() as gdbstub:
            process = subprocess.Popen([*command, *gdbstub.qemu_options()], pass_fds=gdbstub.pass_fds, ...)
            served = gdbstub.serve(timeout_s)
    """

    CHARDEV = "emugdb"

    def __init__(self) -> None:
        self.ours, self.theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)

    def __enter__(self) -> Gdbstub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.ours.close()
        self.theirs.close()

    @property
    def pass_fds(self) -> tuple[int, ...]:
        return (self.theirs.fileno(),)

    def qemu_options(self) -> list[str]:
        # -S: the core waits for our `c`, so no call can come before the stub is served
        # (with no debugger attached QEMU would not deliver it).
        return ["-semihosting-config", "enable=on,target=gdb", "-S",
                "-chardev", f"socket,id={self.CHARDEV},fd={self.theirs.fileno()}",
                "-gdb", f"chardev:{self.CHARDEV}"]

    def serve(self, timeout_s: float) -> Served:
        """Answer QEMU's requests until it exits, a call is refused or `timeout_s` passes.
        Call it once QEMU has started. After a refusal QEMU is still waiting for the answer:
        the caller kills it."""
        self.theirs.close()  # QEMU holds its own copy; ours would keep the pair open after QEMU exits
        served = Served()
        connection = GdbConnection(self.ours, time.monotonic() + timeout_s)
        try:
            connection.stop_acknowledging()
            connection.send("c")
            while True:
                packet = connection.receive()
                if packet.startswith("F"):
                    connection.send(answer(connection, packet, served.console))
                elif packet[:1] in ("W", "X"):
                    break  # QEMU exits (status or signal) and closes the connection
                # Stop packets are not expected: emu sets no breakpoint and never interrupts.
        except Refused as refused:
            served.refusal = refused.refusal
        except Closed:
            pass
        except TimeoutError:
            served.timed_out = True
        return served


def answer(connection: GdbConnection, request: str, console: bytearray) -> str:
    """The reply (`F<result>[,<errno>]`) to one File-I/O request, or Refused."""
    name, *args = request[1:].split(",")
    if name in ("write", "isatty", "close", "fstat", "lseek") and args and number(args[0]) in CONSOLE_FDS:
        if name == "write":
            address, length = number(args[1]), number(args[2])
            kept = min(length, CONSOLE_LIMIT - len(console))
            try:
                console += connection.read_memory(address, kept)
            except MemoryError:
                return f"F-1,{GDB_EFAULT:x}"
            return f"F{length:x}"
        if name == "isatty":
            return "F1"
        if name == "close":
            return "F0"  # emu owns the console; closing a ":tt" handle changes nothing
        if name == "fstat":  # SYS_FLEN: a character device of length 0, like a terminal
            stat = bytearray(GDB_STAT_SIZE)
            stat[8:12] = (GDB_S_IFCHR | 0o666).to_bytes(4, "big")
            return "F0" if connection.write_memory(number(args[1]), bytes(stat)) else f"F-1,{GDB_EFAULT:x}"
        return f"F-1,{GDB_ESPIPE:x}"  # lseek: a terminal cannot seek
    raise Refused(refusal(connection, name, args))


def refusal(connection: GdbConnection, name: str, args: list[str]) -> Refusal:
    """The refused call, named from r0 (QEMU leaves the operation number there while it
    waits for the answer), with what it asked for and the address of its `bkpt`."""
    registers = connection.registers()
    if registers:
        # QEMU has already stepped the PC past the 2-byte `bkpt 0xab` when it asks.
        call, pc = CALL_NAMES.get(registers[0], f"{registers[0]:#04x}"), registers[15] - 2
    else:
        call, pc = REQUEST_CALLS.get(name, name), None
    try:
        asked = what_was_asked(connection, name, args)
    except (ValueError, IndexError, MemoryError):
        asked = ""
    return Refusal(call, asked, pc)


def what_was_asked(connection: GdbConnection, name: str, args: list[str]) -> str:
    """The refused request's arguments as words, each string from the firmware escaped."""

    def text(pointer_length: str) -> str:
        pointer, length = (number(part) for part in pointer_length.split("/"))
        data = connection.read_memory(pointer, min(length, 256))
        return "'" + shown(data.split(b"\0")[0]) + "'"

    if name == "open":
        flags = number(args[1])
        return f"{text(args[0])} for {'writing' if flags & (GDB_O_WRONLY | GDB_O_RDWR) else 'reading'}"
    if name in ("unlink", "system"):
        return text(args[0])
    if name == "rename":
        return f"{text(args[0])} to {text(args[1])}"
    if name == "read":
        return "console input; emu gives firmware none"
    return ""


# ---- a QEMU run ---------------------------------------------------------------------------


def run_served(command: list[str], work: Path, timeout_s: float) -> tuple[int | None, str, Served]:
    """Run QEMU (`command`, without semihosting options) with its semihosting served here.

    Returns QEMU's exit status (None when it had to be stopped), what it wrote to stderr, and
    what the firmware asked of the host: its console text, or the call emu refused. QEMU runs
    in `work`, with stdout and stderr in files there, and inherits no descriptor but its
    end of the gdbstub."""
    with Gdbstub() as gdbstub, open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
        # Waited for in this thread, so the kernel may tie QEMU's life to it (emu.processes).
        process = processes.start([*command, *gdbstub.qemu_options()], stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=err, cwd=work, close_fds=True, pass_fds=gdbstub.pass_fds,
                                  start_new_session=True)
        try:
            served = gdbstub.serve(timeout_s)
            if served.refusal:
                process.kill()  # it waits for an answer: the refused call never completes
            status = process.wait(timeout=0 if served.timed_out else GRACE_S)
        except subprocess.TimeoutExpired:
            stop(process)
            status = None
        except BaseException:
            stop(process)
            raise
    return status, read_text(work / "stderr.txt"), served


# ---- QEMU's system-call filter -----------------------------------------------------------

# No fork or exec, no change of user or group, no obsolete system calls, no resource limits
# or scheduling changes (QEMU's -sandbox, a seccomp filter installed before the guest runs).
SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"


def sandbox_options(qemu: str) -> list[str]:
    """`-sandbox SANDBOX` when this QEMU can run under it, else nothing (a build without
    seccomp, or a kernel that refuses the filter)."""
    return ["-sandbox", SANDBOX] if sandbox_supported(qemu, tool_version(qemu)) else []


@functools.lru_cache(maxsize=None)
def sandbox_supported(qemu: str, version: str) -> bool:
    """Whether `qemu` starts with the filter installed and quits when asked: tried once per
    QEMU and version in a process (`version` is only the cache key)."""
    path = locate(qemu)
    if path is None:
        return False
    try:
        # -M none: no board, no guest, nothing written; the monitor on stdin says quit.
        probe = processes.run([path, "-sandbox", SANDBOX, "-M", "none", "-nodefaults", "-display", "none",
                                "-monitor", "stdio"], input=b"quit\n", capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0
