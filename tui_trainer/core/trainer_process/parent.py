"""The app's handle on the training process: start it early, train runs and make calls in it."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_trainer.core.config import Experiment
from tui_trainer.core.events import RunEnded
from tui_trainer.core.trainer_process.errors import (
    POLL_S,
    RunFunction,
    TrainerProcessBusy,
    TrainerProcessError,
    auto_threads,
)
from tui_trainer.core.trainer_process.pipes import spawn


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
        self._proc, self._conn = spawn(self.threads, self.run_function)
        self.devices = None
        if self._closed:  # close() ran while this child was being started: it must not outlive the app
            self._kill()
            raise TrainerProcessError("the training process was closed")

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
            if timeout is not None and timeout >= 1.0:  # stuck, not merely not ready yet: replace it later
                self._kill()
            raise TrainerProcessError(f"the training process did not start within {timeout:.0f} s")
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            self._kill()
            raise TrainerProcessError(
                f"the training process exited while starting ({_exit_text(self._proc)})"
            ) from None
        if kind != "ready":
            self._kill()
            raise TrainerProcessError(f"the training process cannot start: {value}")
        self.devices = tuple(value)
        return self.devices

    def close(self, timeout: float = 2.0, run_grace: float = 10.0) -> None:
        """Ask the child to quit, then make sure it is gone.

        A run in flight is asked to stop first and given run_grace seconds to end as "stopped"
        (it may be loading data or writing a checkpoint, where it does not look at stop).
        """
        self._closed = True
        proc, conn = self._proc, self._conn
        if proc is None:
            return
        try:
            self._send(("stop",))
        except (OSError, ValueError):
            pass
        if self._training and self._lock.acquire(timeout=run_grace):  # train() returns when the run ended
            self._lock.release()
        proc, conn = self._proc or proc, self._conn or conn
        try:
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
            deadline = time.monotonic() + 120.0
            while True:  # a stop while the child imports torch ends the run at once
                try:
                    self._ready_locked(timeout=0.1)
                    break
                except TrainerProcessError:
                    if self._proc is None or time.monotonic() > deadline:
                        raise
                if _read_controls(should_stop)[0]:
                    end = RunEnded("stopped", "stopped before training started")
                    on_event(end)
                    return end
            self._send(("run", experiment, None if runs_dir is None else str(runs_dir), resume and str(resume)))
        except (TrainerProcessError, OSError) as exc:
            return self._died(on_event, str(exc))
        try:
            return self._pump(on_event, should_stop)
        except BaseException:
            # e.g. on_event raised: the child goes on with this run and would answer the next
            # request with its events; a new child is the only clean state.
            self._kill()
            raise

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
        """End the child (if any) and forget it: the next request starts a new one."""
        proc, self._proc, self.devices = self._proc, None, None
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
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
                drain_until = time.monotonic() + POLL_S
                while True:  # what arrived (for at most POLL_S), then the flags again
                    kind, value = conn.recv()
                    if kind == "event":
                        on_event(value)
                    elif kind == "done":
                        return value
                    elif kind == "unreadable":
                        end = RunEnded("failed", f"the training process could not read the run: {value}")
                        on_event(end)
                        return end
                    if time.monotonic() > drain_until or not conn.poll():
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
        self._kill()
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
