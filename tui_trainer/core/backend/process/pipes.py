"""The two pipes between the app and its training process, and starting that process on them."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Init:
    """The first message to the child, sent as soon as it is spawned: torch threads for runs with threads = 0, and
    the pickled run function. It lives here, not in protocol.py, so that starting the child imports none of the
    other messages (the parent imports them when it first talks to the child, after the app's first frame)."""

    threads: int
    """0: torch's own default in the child (what it had before any run set another count)."""
    run_function: bytes
    """pickle.dumps of the per-run function (None: the pipeline's run); benchmarks wrap it."""


class Duplex:
    """Two one-way pipes as one connection (send / recv / poll), as multiprocessing's Pipe() gives."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        from multiprocessing.connection import Connection

        self._in = Connection(read_fd, writable=False)
        self._out = Connection(write_fd, readable=False)

    def send(self, message: Any) -> None:
        self._out.send(message)

    def recv(self) -> Any:
        return self._in.recv()

    def poll(self, timeout: float | None = 0.0) -> bool:
        return self._in.poll(timeout)

    @property
    def reader(self) -> Any:
        """The incoming end (a multiprocessing Connection: what multiprocessing.connection.wait takes)."""
        return self._in

    def close(self) -> None:
        self._in.close()
        self._out.close()


class Wakeup:
    """A pipe that another thread writes to (set) to wake a reader waiting on a connection (wait): a flag changed.
    A context manager: closed on exit."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        os.set_blocking(self._read, False)

    def set(self) -> None:
        """Wake the waiting reader (from any thread; a wake-up already pending is enough)."""
        try:
            os.write(self._write, b"!")
        except (BlockingIOError, OSError):  # full (woken already) or closed (the run ended)
            pass

    def wait(self, conn: Duplex, timeout: float) -> bool:
        """Until the connection has a message or set() was called (True), or timeout seconds passed (False);
        pending wake-ups are consumed."""
        from multiprocessing.connection import wait

        ready = wait([conn.reader, self._read], timeout)
        if self._read in ready:
            try:
                while os.read(self._read, 4096):
                    pass
            except (BlockingIOError, OSError):
                pass
        return bool(ready)

    def close(self) -> None:
        """Close both ends."""
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> Wakeup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


SUPPORTED = os.name == "posix"
"""Whether a training process can start here: it needs POSIX pipes (pass_fds); elsewhere apps train in a thread."""


def spawn() -> tuple[subprocess.Popen, Duplex]:
    """Start `python -m tui_trainer.core.backend.process.child` on two pipes of its own.

    A fresh interpreter rather than multiprocessing's spawn, which re-runs the parent's main script
    in the child (and fails in scripts without an `if __name__ == "__main__"` guard). The child is
    in a session of its own (no terminal signals), its stdin/stdout/stderr on /dev/null (the
    terminal belongs to the app); it sees the parent's sys.path, so a run function defined in a
    script's folder unpickles there. OSError when it cannot start.
    """
    if not SUPPORTED:
        raise OSError("training in a child process needs a POSIX system")
    down_r, down_w = os.pipe()  # parent -> child
    up_r, up_w = os.pipe()  # child -> parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p or os.getcwd() for p in sys.path))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui_trainer.core.backend.process.child", str(down_r), str(up_w)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(down_r, up_w),
            start_new_session=True,
            env=env,
        )
    except OSError:
        for fd in (down_r, down_w, up_r, up_w):
            os.close(fd)
        raise
    os.close(down_r)
    os.close(up_w)
    return proc, Duplex(up_r, down_w)
