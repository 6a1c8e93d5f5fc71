"""One run, one trainer: an OS file lock on the run directory, held by the process that trains it.

flock(2) locks belong to the open file: the kernel releases them when the process ends in any way,
kill -9 included, so a lock never outlives its trainer (unlike a pid, which may be reused). Where
there is no flock (not POSIX) runs are not locked and the summary's pid is the only evidence.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from tui_trainer.core.runs.files import LOCK, RunError

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None  # type: ignore[assignment]


class RunLock:
    """The lock of one run directory, taken with acquire() and given back with release() (or on exit)."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, run_dir: str | Path) -> RunLock:
        """Lock the run directory for this process; RunError naming the holder when another one trains it."""
        path = Path(run_dir) / LOCK
        if fcntl is None:
            return cls(path, None)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise RunError(f"cannot lock {path.parent}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunError(
                f"{path.parent} is being trained by {holder(path.parent)}: wait for it to end, or stop it first"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        except OSError:  # a full disk: the lock holds all the same, only holder() cannot name this process
            pass
        return cls(path, fd)

    def release(self) -> None:
        """Give the lock back (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the file releases the flock
            self._fd = None


def is_locked(run_dir: str | Path) -> bool | None:
    """True while a process holds the run's lock, False when none does; None when the run has no lock file
    (written by an older version) or locks are not available here."""
    path = Path(run_dir) / LOCK
    if fcntl is None or not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def holder_of(run_dir: str | Path) -> tuple[int, str] | None:
    """(pid, host) of the process that holds (or last held) the lock; None when the lock file does not say."""
    try:
        doc = json.loads((Path(run_dir) / LOCK).read_text(encoding="utf-8") or "{}")
        return int(doc["pid"]), str(doc["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def holder(run_dir: str | Path) -> str:
    """Who holds (or last held) the lock, in words: "process 123 on host"."""
    found = holder_of(run_dir)
    return f"process {found[0]} on {found[1]}" if found else "another process"
