"""Pid files and process groups. Standard library only."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie of ours is not alive.
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def write_pid(path: Path, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid}\n")


def read_pid(path: Path, expect_in_cmdline: str | None = None) -> int | None:
    """The pid in `path` if that process still runs (and its command line holds
    `expect_in_cmdline`, so that a recycled pid is not taken for ours); else None."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if not alive(pid):
        return None
    if expect_in_cmdline and expect_in_cmdline not in cmdline(pid):
        return None
    return pid


def terminate_group(pid: int, grace: float = 10.0, name: str = "process") -> bool:
    """SIGTERM the process group led by `pid` (our children run in their own session), then
    SIGKILL after `grace` seconds. Returns True if it had to be killed."""

    def send(sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, sig)

    if not alive(pid):
        _reap(pid)
        return False
    send(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not alive(pid) and not _group_alive(pid):
            return False
        time.sleep(0.1)
    send(signal.SIGKILL)
    for _ in range(50):
        _reap(pid)
        if not alive(pid) and not _group_alive(pid):
            break
        time.sleep(0.1)
    return True


def terminate(pid: int, grace: float = 10.0) -> bool:
    """SIGTERM one process (not a group leader: `devstack run` in make's group), SIGKILL after `grace`
    seconds; wait until it is gone. Returns True if it had to be killed."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            _reap(pid)
            if not alive(pid):
                return sig == signal.SIGKILL
            time.sleep(0.1)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Only zombies left in the group count as gone.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def tail(path: Path, lines: int = 20) -> str:
    try:
        data = path.read_bytes()[-20000:].decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(data.splitlines()[-lines:])


def human(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
