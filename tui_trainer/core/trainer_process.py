"""A warm child process that trains: torch lives there, events come back over a pipe.

Why a process and not only a thread: on 2 CPU cores a training thread beside the live dashboard
kept 0.63-0.89 of the same engine's speed headless (the UI thread and the training thread share one
GIL, and a torch op on any other thread of the process starts a second OpenMP team that halves
multi-threaded loops); the same engine in this child process kept 0.94-1.01 (benchmarks/README.md).
The child is a fresh interpreter (never a fork: torch and threads do not survive one), started
before the app imports Textual, so it has imported torch by the time the user can press a key.

Protocol, two pipes, pickled tuples. Parent -> child: ("init", threads, pickled run function) once,
then ("run", experiment, runs_dir, resume), ("stop",), ("pause",), ("resume",), ("call", function,
args), ("quit",). Child -> parent: ("ready", devices) once torch is imported, or ("broken", message);
("event", TrainingEvent) while a run trains; ("done", RunEnded | None) when it returned;
("result", (ok, value or exception)) for a call; ("unreadable", message) for a request it could not
unpickle.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_trainer.core.config import Experiment
from tui_trainer.core.events import RunEnded

SUPPORTED = os.name == "posix"
"""Whether a training process can start here: it needs POSIX pipes (pass_fds); elsewhere apps train in a thread."""
POLL_S = 0.05
"""How often the parent's thread looks at the stop and pause flags while it waits for events."""

RunFunction = Callable[..., Any]
"""train_and_save's signature: (experiment, *, on_event, should_stop, runs_dir, resume) -> RunEnded.
Must be picklable (a module-level function or an object of a module-level class)."""


class TrainerProcessError(RuntimeError):
    """The child process could not start, import torch, or answer."""


class TrainerProcessBusy(RuntimeError):
    """The child is training a run: call() does not wait for it (the caller works in-process instead)."""


def auto_threads() -> int:
    """Torch threads for a run with threads = 0 beside a UI: all cores but the one the UI keeps."""
    return max(1, (os.cpu_count() or 2) - 1)


class TrainerProcess:
    """The parent's handle on the training child: start it early, train runs in it one at a time.

    Thread-safe in the way the app uses it: wait_ready() and train() may be called from different
    worker threads; a lock lets one of them talk to the child at a time. If the child dies (killed
    for memory, a crash in native code), the run ends "failed" and the next run starts a new child.
    """

    def __init__(self, *, threads: int | None = None, run: RunFunction | None = None) -> None:
        """threads: torch threads for experiments with threads = 0 (default: auto_threads());
        run: what the child calls per run (default: runs.session.train_and_save; benchmarks wrap it)."""
        self.threads = threads or auto_threads()
        self.run_function = run
        self.devices: tuple[str, ...] | None = None
        """("auto", "cpu", "cuda", ...) as the child found them, once it is ready."""
        self._lock = threading.Lock()
        """Held by whoever reads from the child (wait_ready, train, call): one reader of the pipe at a time."""
        self._send_lock = threading.Lock()
        """Held for every message to the child (close() may send while a run's thread sends)."""
        self._training = False
        """True while train() owns the child (from before it takes the lock until the run ends)."""
        self._proc: Any = None
        self._conn: Any = None
        self._closed = False

    # ------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Spawn the child (returns at once; it imports torch in the background). Idempotent."""
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._closed:
            raise TrainerProcessError("the training process was closed")
        if self._proc is not None and self._proc.poll() is None:
            return
        self._proc, self._conn = _spawn(self.threads, self.run_function)
        self.devices = None

    def wait_ready(self, timeout: float = 120.0) -> tuple[str, ...]:
        """Start the child if needed and wait until it has imported torch; returns its devices.

        Returns as soon as the devices are known, also while another thread holds the child (a
        call() reads the ready message first, then works on).
        """
        deadline = time.monotonic() + timeout
        while self.devices is None:
            if self._lock.acquire(timeout=0.05):
                try:
                    return self._ready_locked(max(0.0, deadline - time.monotonic()))
                finally:
                    self._lock.release()
            if time.monotonic() > deadline:
                raise TrainerProcessError(f"the training process did not start within {timeout:.0f} s")
        return self.devices

    def _ready_locked(self, timeout: float | None) -> tuple[str, ...]:
        self._start_locked()
        if self.devices is not None:
            return self.devices
        if not self._conn.poll(timeout):
            raise TrainerProcessError(f"the training process did not start within {timeout:.0f} s")
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            raise TrainerProcessError(
                f"the training process exited while starting ({_exit_text(self._proc)})"
            ) from None
        if kind != "ready":
            raise TrainerProcessError(f"the training process cannot start: {value}")
        self.devices = tuple(value)
        return self.devices

    def close(self, timeout: float = 2.0) -> None:
        """Ask the child to quit (stopping a run it trains), then make sure it is gone."""
        self._closed = True
        proc, conn = self._proc, self._conn
        if proc is None:
            return
        try:
            self._send(("stop",))
            self._send(("quit",))
        except (OSError, ValueError):
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
        conn.close()

    @property
    def closed(self) -> bool:
        """True once close() was called (the app is ending)."""
        return self._closed

    @property
    def pid(self) -> int | None:
        """The child's process id while it lives."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    # ------------------------------------------------------------ training

    def train(
        self,
        experiment: Experiment,
        *,
        on_event: Callable[[Any], None],
        should_stop: Callable[[], bool],
        runs_dir: str | Path | None,
        resume: str | Path | None = None,
    ) -> RunEnded | None:
        """Train one run in the child; returns when it has ended. Called on the app's worker thread.

        Events are handed to on_event on this thread as they arrive. should_stop is polled every
        POLL_S; when it has `stop_requested` and `paused` attributes (the app's RunControl) they are
        read without blocking and forwarded, so pausing parks the child inside its own should_stop.
        """
        self._training = True
        with self._lock:
            try:
                return self._train_locked(experiment, on_event, should_stop, runs_dir, resume)
            finally:
                self._training = False

    def _train_locked(self, experiment, on_event, should_stop, runs_dir, resume) -> RunEnded | None:
        try:
            self._ready_locked(timeout=120.0)
            self._send(("run", experiment, None if runs_dir is None else str(runs_dir), resume and str(resume)))
        except (TrainerProcessError, OSError) as exc:
            return self._died(on_event, str(exc))
        return self._pump(on_event, should_stop)

    def call(self, function: Callable[..., Any], *args: Any, timeout: float = 120.0) -> Any:
        """function(*args) in the child while no run trains there (waiting for the child to be ready).

        For work that needs torch but not the UI (a dataset preview): the app's own process then
        never imports torch. function and args must be picklable; an exception raised in the child
        is raised here. Raises TrainerProcessBusy while a run trains, TrainerProcessError when the
        child cannot start or does not answer within timeout (it is then replaced).
        """
        if self._training:
            raise TrainerProcessBusy("the training process is training a run")
        with self._lock:
            self._ready_locked(timeout)
            try:
                self._send(("call", function, args))
                if not self._conn.poll(timeout):
                    self._kill()
                    raise TrainerProcessError(f"the training process did not answer within {timeout:.0f} s")
                kind, value = self._conn.recv()
            except (EOFError, OSError):
                self._proc, self.devices = None, None
                raise TrainerProcessError("the training process ended unexpectedly") from None
        if kind != "result":
            raise TrainerProcessError(f"the training process could not do it: {value}")
        ok, result = value
        if not ok:
            raise result
        return result

    def _kill(self) -> None:
        proc, self._proc, self.devices = self._proc, None, None
        if proc is not None:
            proc.kill()
            proc.wait()

    def _pump(self, on_event, should_stop) -> RunEnded | None:
        conn, proc = self._conn, self._proc
        stop_sent, paused_sent = False, False
        try:
            while True:
                if not stop_sent:
                    stop, paused = _read_controls(should_stop)
                    if stop:
                        self._send(("stop",))
                        stop_sent = True
                    elif paused != paused_sent:
                        self._send(("pause",) if paused else ("resume",))
                        paused_sent = paused
                if not conn.poll(POLL_S):
                    if proc.poll() is not None:
                        break
                    continue
                while True:  # everything that arrived, then the flags again
                    kind, value = conn.recv()
                    if kind == "event":
                        on_event(value)
                    elif kind == "done":
                        return value
                    elif kind == "unreadable":
                        end = RunEnded("failed", f"the training process could not read the run: {value}")
                        on_event(end)
                        return end
                    if not conn.poll():
                        break
        except (EOFError, OSError):
            pass
        try:
            proc.wait(1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
        return self._died(on_event, f"the training process ended unexpectedly ({_exit_text(proc)})")

    def _send(self, message: tuple) -> None:
        with self._send_lock:
            self._conn.send(message)

    def _died(self, on_event, reason: str) -> RunEnded:
        self._proc, self.devices = None, None
        end = RunEnded(
            "failed", reason, "out of memory? try a smaller batch or model; the next run starts a new process"
        )
        on_event(end)
        return end


def _read_controls(should_stop) -> tuple[bool, bool]:
    """(stop requested, paused) without blocking when should_stop is a RunControl."""
    if hasattr(should_stop, "stop_requested"):
        return should_stop.stop_requested, should_stop.paused
    return should_stop(), False


def _exit_text(proc) -> str:
    code = proc.poll() if proc is not None else None
    if code is None:
        return "still running"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit code {code}"


class _Duplex:
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

    def close(self) -> None:
        self._in.close()
        self._out.close()


def _spawn(threads: int, run: RunFunction | None) -> tuple[subprocess.Popen, _Duplex]:
    """Start `python -m tui_trainer.core.trainer_process` on two pipes of its own.

    A fresh interpreter rather than multiprocessing's spawn, which re-runs the parent's main script
    in the child (and fails in scripts without an `if __name__ == "__main__"` guard). The child is
    in a session of its own (no terminal signals), its stdin/stdout/stderr on /dev/null (the
    terminal belongs to the app); it sees the parent's sys.path, so a `run` defined in a script's
    folder unpickles there.
    """
    if not SUPPORTED:
        raise TrainerProcessError("training in a child process needs a POSIX system here")
    down_r, down_w = os.pipe()  # parent -> child
    up_r, up_w = os.pipe()  # child -> parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p or os.getcwd() for p in sys.path))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui_trainer.core.trainer_process", str(down_r), str(up_w)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(down_r, up_w),
            start_new_session=True,
            env=env,
        )
    except OSError as exc:
        for fd in (down_r, down_w, up_r, up_w):
            os.close(fd)
        raise TrainerProcessError(f"cannot start the training process: {exc}") from None
    os.close(down_r)
    os.close(up_w)
    conn = _Duplex(up_r, down_w)
    conn.send(("init", threads, pickle.dumps(run)))
    return proc, conn


# ---------------------------------------------------------------- the child


class _Controls:
    """The child's should_stop: reads the parent's commands without blocking; parks while paused."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.stopped = self.paused = self.quit = False

    def reset(self) -> None:
        self.stopped = self.paused = False

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind in ("stop", "quit"):
            self.stopped = True
            self.quit = self.quit or kind == "quit"
        elif kind == "pause":
            self.paused = True
        elif kind == "resume":
            self.paused = False

    def __call__(self) -> bool:
        while self.conn.poll():
            self._handle(self.conn.recv())
        while self.paused and not self.stopped:
            if self.conn.poll(0.1):
                self._handle(self.conn.recv())
        return self.stopped


def serve(conn) -> None:
    """The child's main: import torch, say ready, then train each run asked for until told to quit."""
    try:
        _, threads, pickled_run = conn.recv()
        run = pickle.loads(pickled_run)
        import torch

        from tui_trainer.core.devices import available_devices
        from tui_trainer.core.runs.session import train_and_save

        run = run or train_and_save
        conn.send(("ready", ("auto", *available_devices())))
    except BaseException as exc:  # noqa: BLE001 - the parent shows it
        conn.send(("broken", f"{type(exc).__name__}: {exc}"))
        return
    controls = _Controls(conn)

    def send_event(event) -> None:
        conn.send(("event", event))

    while not controls.quit:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the app is gone
            return
        except Exception as exc:  # noqa: BLE001 - e.g. a function that cannot be imported here
            conn.send(("unreadable", f"{type(exc).__name__}: {exc}"))
            continue
        if message[0] == "call":
            _answer(conn, message[1], message[2])
            continue
        if message[0] != "run":
            controls._handle(message)  # a late stop/pause between runs: nothing to do
            continue
        _, experiment, runs_dir, resume = message
        controls.reset()
        torch.set_num_threads(experiment.train.threads or threads)
        try:
            end = run(experiment, on_event=send_event, should_stop=controls, runs_dir=runs_dir, resume=resume)
        except (BrokenPipeError, EOFError):
            return
        except Exception as exc:  # a bug or an unexpected failure: the app shows it and stays alive
            end = RunEnded("failed", f"{type(exc).__name__}: {exc}", "this looks like a bug: please report it")
            send_event(end)
        try:
            conn.send(("done", end))
        except OSError:
            return


def _answer(conn, function, args) -> None:
    """Run a call() request and send back (True, result) or (False, the exception)."""
    try:
        reply = (True, function(*args))
    except Exception as exc:  # noqa: BLE001 - raised again in the parent
        reply = (False, exc)
    try:
        conn.send(("result", reply))
    except Exception as exc:  # noqa: BLE001 - the result or exception cannot be pickled
        conn.send(("result", (False, TrainerProcessError(f"{type(exc).__name__}: {exc}"))))


if __name__ == "__main__":  # the child: python -m tui_trainer.core.trainer_process READ_FD WRITE_FD
    serve(_Duplex(int(sys.argv[1]), int(sys.argv[2])))
