"""The process backend: the app's handle on its warm training process; runs, previews, devices, close.

Why a process: docs/architecture.md, "Where training runs". The child is a fresh interpreter started
before the app imports Textual, so it has imported torch by the time the user can press a key.
"""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tui_trainer.core.backend.base import (
    BUSY,
    BackendError,
    ControlledRun,
    EvaluationHandle,
    PreviewQueue,
    RunFunction,
    RunHandle,
)
from tui_trainer.core.backend.process.pipes import Init, Wakeup, spawn
from tui_trainer.core.data.preview import PreviewData
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.boundary import BoundaryMap
from tui_trainer.core.spec.events import RunEnded, RunStatus, TrainingEvent
from tui_trainer.core.spec.experiment import DataSpec, Experiment

if TYPE_CHECKING:
    # The message classes: each method imports them when it first talks to the child (after the first frame:
    # their two dozen dataclasses were a twentieth of it); the first message, Init, is pipes.py's.
    from tui_trainer.core.backend.process import protocol as p
    from tui_trainer.core.spec.inspection import Inspection
    from tui_trainer.core.spec.lr_finding import LrFinding
    from tui_trainer.core.spec.robustness import RobustnessEvent, RobustnessRequest

POLL_S = 0.05
"""How often a robustness evaluation's reader looks at its stop flag while it waits for progress; also how long a
run's reader drains arrived events before it looks at the flags again."""
IDLE_CHECK_S = 0.5
"""A run's reader wakes for the child's events and for a change of the run's flags (RunControl.on_change); with
neither, it looks at the child and at a detach this often."""
READY_TIMEOUT_S = 120.0
"""How long the child may take to import torch before it counts as stuck."""
DIED_HINT = "out of memory? try a smaller batch or model; the next run starts a new process"
TRAINING = "a run is training: evaluate its robustness once it has ended"
EVALUATING = "a robustness evaluation is going: wait for it to end or stop it"


class ProcessRun(ControlledRun):
    """One run in the child: events() sends it and relays its events, forwarding stop and pause."""

    def __init__(self, backend: ProcessBackend, request: RunRequest) -> None:
        self.backend = backend
        self.request = request
        super().__init__()
        self.parked = threading.Event()
        """Set while the child has acknowledged a pause (it is parked inside its own should_stop)."""

    def events(self) -> Iterator[TrainingEvent]:
        """Send the run and yield its events until it ended; a dead child ends it "failed"."""
        backend = self.backend
        try:
            with backend._lock:
                yield from backend._train_locked(self)
        finally:
            backend._run_ended()


class ProcessEvaluation(ControlledRun):
    """One robustness evaluation in the child: events() sends it and relays its progress, forwarding a stop."""

    def __init__(self, backend: ProcessBackend, request: RobustnessRequest) -> None:
        self.backend = backend
        self.request = request
        super().__init__()

    def events(self) -> Iterator[RobustnessEvent]:
        """Send the evaluation and yield its progress, then its result; a dead child ends it with a problem."""
        backend = self.backend
        try:
            with backend._lock:
                yield from backend._evaluate_locked(self)
        finally:
            backend._evaluation_ended()


class ProcessBackend:
    """Trains each run in one warm child process, one at a time; previews are computed there too.

    If the child dies (killed for memory, a crash in native code) the run ends "failed" and the next run
    starts a new child. If it cannot start at all, devices() says so once (notice) and the backend
    trains in a thread of this process from then on.
    """

    def __init__(self, *, threads: int | None = None, run: RunFunction | None = None) -> None:
        """threads: torch threads for runs with threads = 0 (default 0: torch's own default in the child, all
        cores, as the headless CLI trains: the UI lives in another process, docs/architecture.md says why);
        run: what the child calls per run (default: the pipeline's run; tests and benchmarks wrap it)."""
        self.threads = threads or 0
        self.run_function = run
        self.notice = ""
        self.fallback: Any = None
        """The ThreadBackend that trains once the child could not start (None while it can)."""
        self._devices: tuple[str, ...] | None = None
        self._lock = threading.Lock()
        """Held by whoever reads from the child (a run's events, a preview, waiting for ready)."""
        self._send_lock = threading.Lock()
        self._previews = PreviewQueue()
        self._inspections = PreviewQueue()
        """Inspections of saved runs wait while a run trains, as previews do (a queue of their own)."""
        self._training = False
        self._evaluating = False
        self._proc: Any = None
        self._conn: Any = None
        self._closed = False
        self._detached = False

    # ------------------------------------------------------------ life cycle

    def warm_up(self) -> None:
        """Spawn the child now (returns at once; it imports torch in the background). Idempotent."""
        with self._lock:
            self._spawn_locked()

    def _spawn_locked(self) -> None:
        if self._closed:
            raise BackendError("the training process was closed")
        if self._proc is not None and self._proc.poll() is None:
            return
        try:
            self._proc, self._conn = spawn()
            self._conn.send(Init(self.threads, pickle.dumps(self.run_function)))
        except OSError as exc:
            self._kill()
            raise BackendError(f"cannot start the training process: {exc}") from None
        self._devices = None

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> tuple[str, ...]:
        """Start the child if needed and wait until it has imported torch; returns its devices.

        Returns as soon as the devices are known, also while another thread holds the child (a preview
        reads the Ready message first, then waits for its own answer).
        """
        deadline = time.monotonic() + timeout
        while self._devices is None:
            if self._lock.acquire(timeout=POLL_S):
                try:
                    return self._ready_locked(max(0.0, deadline - time.monotonic()))
                finally:
                    self._lock.release()
            if time.monotonic() > deadline:
                raise BackendError(f"the training process did not start within {timeout:.0f} s")
        return self._devices

    def _ready_locked(self, timeout: float) -> tuple[str, ...]:
        from tui_trainer.core.backend.process import protocol as p

        self._spawn_locked()
        if self._devices is not None:
            return self._devices
        if not self._conn.poll(timeout):
            if timeout >= 1.0:  # stuck, not merely not ready yet: replace it next time
                self._kill()
            raise BackendError(f"the training process did not start within {timeout:.0f} s")
        try:
            message = self._conn.recv()
        except (EOFError, OSError):
            proc = self._proc
            self._kill()
            raise BackendError(f"the training process exited while starting ({self._exit_text(proc)})") from None
        if not isinstance(message, p.Ready):
            self._kill()
            raise BackendError(f"the training process cannot start: {getattr(message, 'message', message)}")
        self._devices = message.devices
        return self._devices

    def devices(self) -> tuple[str, ...]:
        """The child's devices once it is ready; if it cannot start, this process's (and notice says why)."""
        if self._child_ready():
            return self.wait_ready()
        return self.fallback.devices()

    def _child_ready(self) -> bool:
        """Wait until the child can work; False when it cannot start (the backend then trains and previews in
        a thread of this process from now on). BackendError once closed."""
        if self.fallback is not None:
            return False
        try:
            self.wait_ready()
        except BackendError as exc:
            if self._closed:
                raise
            self._fall_back(str(exc))
            return False
        return True

    def _fall_back(self, reason: str) -> None:
        from tui_trainer.core.backend.thread import ThreadBackend

        with self._lock:
            self._kill()
        self.notice = f"{reason}; training in the app's own process instead"
        self.fallback = ThreadBackend(notice=self.notice)

    def close(self, timeout: float = 2.0, run_grace: float = 10.0) -> None:
        """Ask the child to quit, then make sure it is gone.

        A run in flight is asked to stop first and given run_grace seconds to end as "stopped" (it may be
        loading data or writing a checkpoint, where it does not look at stop).
        """
        from tui_trainer.core.backend.process import protocol as p

        self._closed = True
        self._previews.close()
        self._inspections.close()
        if self.fallback is not None:
            self.fallback.close(run_grace)
        if self._proc is None:
            return
        self._try_send(p.Stop())
        if (self._training or self._evaluating) and self._lock.acquire(
            timeout=run_grace
        ):  # the run's reader returns once it ended
            self._lock.release()
        proc, conn = self._proc, self._conn
        if proc is None:
            return
        self._try_send(p.Quit())
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
        conn.close()

    def detach(self) -> bool:
        """Leave the run in flight to the child, which trains it on headless (writing its run directory) and
        exits when it ends; True when a run goes on so. Without a run in flight (or training in a thread,
        which cannot outlive this process) nothing is left: False, and close() ends the rest as usual."""
        from tui_trainer.core.backend.process import protocol as p

        if self.fallback is not None or not self._training or self.pid is None:
            return False
        self._detached = self._closed = True
        self._previews.close()
        self._inspections.close()
        self._try_send(p.Detach())
        self._proc = None  # never killed nor waited for from here on: its exit is its own
        return True

    @property
    def closed(self) -> bool:
        """True once close() was called (the app is ending)."""
        return self._closed

    @property
    def pid(self) -> int | None:
        """The child's process id while it lives."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    # ------------------------------------------------------------ previews

    def preview(self, data: DataSpec, on_wait: Callable[[], None] | None = None) -> PreviewData | None:
        """The preview computed in the child (this process never imports torch); waits while a run trains."""
        from tui_trainer.core.backend.process import protocol as p

        if self.fallback is not None:
            return self.fallback.preview(data, on_wait)
        if not self._previews.wait_turn(on_wait):
            return None
        try:
            if not self._child_ready():
                return self.fallback.preview(data, on_wait)
        except BackendError:  # closed
            return None
        with self._lock:
            try:
                self._ready_locked(READY_TIMEOUT_S)
                self._send(p.Preview(data))
                message = self._conn.recv()
            except BackendError as exc:
                return PreviewData("message", text=f"cannot preview {data.name}: {exc}")
            except (EOFError, OSError):
                self._kill()
                return PreviewData("message", text=f"cannot preview {data.name}: the training process ended")
        if isinstance(message, p.PreviewDone):
            return message.preview
        return PreviewData("message", text=f"cannot preview {data.name}: {getattr(message, 'message', message)}")

    def inspect(
        self, run_dir: str, checkpoint: str = "best", sample: int = 0, on_wait: Callable[[], None] | None = None
    ) -> Inspection | str | None:
        """A saved run's inspection computed in the child (this process never imports torch); waits while a run
        trains."""
        from tui_trainer.core.backend.process import protocol as p

        if self.fallback is not None:
            return self.fallback.inspect(run_dir, checkpoint, sample, on_wait)
        if not self._inspections.wait_turn(on_wait):
            return None
        try:
            if not self._child_ready():
                return self.fallback.inspect(run_dir, checkpoint, sample, on_wait)
        except BackendError:  # closed
            return None
        with self._lock:
            try:
                self._ready_locked(READY_TIMEOUT_S)
                self._send(p.Inspect(run_dir, checkpoint, sample))
                message = self._conn.recv()
            except BackendError as exc:
                return f"cannot inspect {run_dir}: {exc}"
            except (EOFError, OSError):
                self._kill()
                return f"cannot inspect {run_dir}: the training process ended"
        if isinstance(message, p.InspectDone):
            return message.result
        return f"cannot inspect {run_dir}: {getattr(message, 'message', message)}"

    # ------------------------------------------------------------ the learning-rate finder

    def find_lr(self, experiment: Experiment) -> LrFinding | str:
        """The learning-rate finder's sweep computed in the child (this process never imports torch); refused
        while a run trains."""
        from tui_trainer.core.backend.process import protocol as p

        if self.fallback is not None:
            return self.fallback.find_lr(experiment)
        return self._ask(p.FindLr(experiment), p.LrFound, "cannot find the learning rate", BUSY)

    def boundary(self, run_dir: str) -> BoundaryMap | str:
        """A saved run's decision boundary computed in the child; refused while a run trains there."""
        from tui_trainer.core.backend.process import protocol as p

        if self.fallback is not None:
            return self.fallback.boundary(run_dir)
        busy = "a run is training: the boundary of a saved run is drawn once it has ended"
        return self._ask(p.BoundaryOf(str(run_dir)), p.BoundaryDone, "cannot draw the boundary", busy)

    def _ask(self, request: p.ToChild, answer: type, what: str, busy: str) -> Any:
        """Send a request between runs and return the one field of its answer, or words for why there is none."""
        if self._training:
            return busy
        try:
            if not self._child_ready():
                return self._ask_fallback(request)
        except BackendError as exc:
            return str(exc)
        with self._lock:
            try:
                self._ready_locked(READY_TIMEOUT_S)
                self._send(request)
                message = self._conn.recv()
            except BackendError as exc:
                return f"{what}: {exc}"
            except (EOFError, OSError):
                self._kill()
                return f"{what}: the training process ended"
        if isinstance(message, answer):
            return getattr(message, dataclasses.fields(message)[0].name)
        return f"{what}: {getattr(message, 'message', message)}"

    def _ask_fallback(self, request: p.ToChild) -> Any:
        """The same request answered by the thread backend (the child could not start)."""
        from tui_trainer.core.backend.process import protocol as p

        if isinstance(request, p.FindLr):
            return self.fallback.find_lr(request.experiment)
        return self.fallback.boundary(request.run_dir)

    # ------------------------------------------------------------ runs

    def start(self, request: RunRequest) -> RunHandle:
        """A handle on one run in the child; it is sent when its events are read."""
        if self.fallback is not None:
            return self.fallback.start(request)
        if self._closed:
            raise BackendError("the training process was closed")
        if self._training:
            raise BackendError("a run is still going: stop it and wait for it to end")
        if self._evaluating:
            raise BackendError(EVALUATING)
        self._training = True
        self._previews.set_training(True)
        self._inspections.set_training(True)
        return ProcessRun(self, request)

    # ------------------------------------------------------------ robustness evaluations

    def evaluate(self, request: RobustnessRequest) -> EvaluationHandle:
        """A handle on one robustness evaluation in the child (refused while a run trains or another evaluates)."""
        if self.fallback is not None:
            return self.fallback.evaluate(request)
        if self._closed:
            raise BackendError("the training process was closed")
        if self._training:
            raise BackendError(TRAINING)
        if self._evaluating:
            raise BackendError(EVALUATING)
        self._evaluating = True
        self._previews.set_training(True)
        return ProcessEvaluation(self, request)

    def _evaluation_ended(self) -> None:
        self._evaluating = False
        self._previews.set_training(False)

    def _evaluate_locked(self, evaluation: ProcessEvaluation) -> Iterator[RobustnessEvent]:
        from tui_trainer.core.backend.process import protocol as p
        from tui_trainer.core.spec.robustness import RobustnessResult

        request = evaluation.request
        try:
            self._ready_locked(READY_TIMEOUT_S)
            self._send(p.Evaluate(request))
        except (BackendError, OSError) as exc:
            self._kill()
            yield RobustnessResult(request.run_dir, problem=str(exc))
            return
        conn, proc, stop_sent = self._conn, self._proc, False
        try:
            while True:
                if evaluation.control.stop_requested and not stop_sent:
                    self._send(p.Stop())
                    stop_sent = True
                if not conn.poll(POLL_S):
                    if proc.poll() is not None:
                        break
                    continue
                message = conn.recv()
                if isinstance(message, p.EvaluationProgress):
                    yield message.progress
                elif isinstance(message, p.EvaluationDone):
                    yield message.result
                    return
                elif isinstance(message, p.Unreadable):
                    yield RobustnessResult(request.run_dir, problem=f"the training process: {message.message}")
                    return
        except (EOFError, OSError):
            pass
        except BaseException:  # the reader stopped reading (GeneratorExit) or failed: a new child is clean
            self._kill()
            raise
        self._kill()
        yield RobustnessResult(request.run_dir, problem=f"the training process ended unexpectedly ({DIED_HINT})")

    def _run_ended(self) -> None:
        self._training = False
        self._previews.set_training(False)
        self._inspections.set_training(False)

    def _train_locked(self, run: ProcessRun) -> Iterator[TrainingEvent]:
        from tui_trainer.core.backend.process import protocol as p

        deadline = time.monotonic() + READY_TIMEOUT_S
        try:
            while True:  # a stop while the child imports torch ends the run at once
                try:
                    self._ready_locked(timeout=0.1)
                    break
                except BackendError:
                    if self._proc is None or time.monotonic() > deadline:
                        raise
                if run.control.stop_requested:
                    yield RunEnded(RunStatus.STOPPED, "stopped before training started")
                    return
            self._send(p.Train(run.request))
        except (BackendError, OSError) as exc:
            yield self._died(str(exc))
            return
        try:
            yield from self._relay(run)
            if self._detached:
                self._conn.close()
        except GeneratorExit:
            # the reader stopped reading: the child goes on with this run and would answer the next
            # request with its events; a new child is the only clean state.
            self._kill()
            raise
        except BaseException:
            self._kill()
            raise

    def _relay(self, run: ProcessRun) -> Iterator[TrainingEvent]:
        with Wakeup() as wakeup:
            run.control.on_change = wakeup.set
            try:
                yield from self._relay_woken(run, wakeup)
            finally:
                run.control.on_change = None

    def _relay_woken(self, run: ProcessRun, wakeup: Wakeup) -> Iterator[TrainingEvent]:
        """The run's events, its flags forwarded as they change: the reader sleeps until the child sends or the
        UI asks (no polling while a run trains)."""
        from tui_trainer.core.backend.process import protocol as p

        conn, proc, control = self._conn, self._proc, run.control
        stop_sent = paused_sent = False
        try:
            while not self._detached:
                if not stop_sent:
                    if control.stop_requested:
                        self._send(p.Stop())
                        stop_sent = True
                    elif control.paused != paused_sent:
                        paused_sent = control.paused
                        self._send(p.Pause() if paused_sent else p.Resume())
                    if (lr := control.take_lr()) is not None:
                        self._send(p.SetLr(lr))
                if not wakeup.wait(conn, IDLE_CHECK_S):
                    if proc.poll() is not None:
                        break
                    continue
                if not conn.poll():  # woken by the flags: forward them first
                    continue
                drain_until = time.monotonic() + POLL_S
                while True:  # what arrived (for at most POLL_S), then the flags again
                    message = conn.recv()
                    if isinstance(message, p.RunEvent):
                        yield message.event
                    elif isinstance(message, p.PauseAck):
                        (run.parked.set if message.paused else run.parked.clear)()
                    elif isinstance(message, p.Done):
                        return
                    elif isinstance(message, p.Unreadable):
                        reason = f"the training process could not read the run: {message.message}"
                        yield RunEnded(RunStatus.FAILED, reason)
                        return
                    if time.monotonic() > drain_until or not conn.poll():
                        break
        except (EOFError, OSError):
            pass
        if self._detached:
            return
        try:
            proc.wait(1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
        yield self._died(f"the training process ended unexpectedly ({self._exit_text(proc)})")

    # ------------------------------------------------------------ plumbing

    def _send(self, message: p.ToChild) -> None:
        with self._send_lock:
            self._conn.send(message)

    def _try_send(self, message: p.ToChild) -> None:
        try:
            self._send(message)
        except (OSError, ValueError, AttributeError):
            pass

    def _died(self, reason: str) -> RunEnded:
        self._kill()
        return RunEnded(RunStatus.FAILED, reason, DIED_HINT)

    def _kill(self) -> None:
        """End the child (if any) and forget it: the next request starts a new one."""
        proc, self._proc, self._devices = self._proc, None, None
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
            proc.wait()

    def _exit_text(self, proc: Any = None) -> str:
        proc = proc or self._proc
        code = proc.poll() if proc is not None else None
        if code is None:
            return "still running"
        if code < 0:
            return f"killed by signal {-code}"
        return f"exit code {code}"
