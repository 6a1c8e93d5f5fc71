"""The training backend's interface: devices, previews, start a run -> a handle (events, stop, pause), close.

The app talks to training only through a TrainingBackend. Implementations: the warm child process
(process/), a thread of the app's process (thread.py), and following a run directory that another
process writes (follow.py, a RunHandle only). The UI tests use the thread backend with a scripted run
function. Where the app trains is decided once, in choose.open_backend.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from tui_trainer.core.spec.events import RunEnded, TrainingEvent

if TYPE_CHECKING:  # for annotations only: the robustness and lr-finder types are not the first frame's to import
    from tui_trainer.core.data.preview import PreviewData
    from tui_trainer.core.pipeline.request import RunRequest
    from tui_trainer.core.spec.boundary import BoundaryMap
    from tui_trainer.core.spec.experiment import DataSpec, Experiment
    from tui_trainer.core.spec.inspection import Inspection
    from tui_trainer.core.spec.lr_finding import LrFinding
    from tui_trainer.core.spec.robustness import RobustnessEvent, RobustnessRequest

RunFunction = Callable[..., RunEnded | None]
"""What a backend calls per run: (request, *, on_event, should_stop) -> RunEnded; pipeline.run by
default. For the process backend it must be picklable (a module-level function or object)."""


class BackendError(RuntimeError):
    """The backend cannot train (its process could not start, import torch, or answer)."""


class RunHandle(Protocol):
    """One run in flight: iterate its events on one thread; stop / pause / resume from any thread."""

    def events(self) -> Iterator[TrainingEvent]:
        """The run's events as they happen, blocking between them; the last one is a RunEnded."""
        ...

    def stop(self) -> None:
        """Ask the run to stop at its next batch (also ends a pause)."""
        ...

    def pause(self) -> None:
        """Park the run at its next batch."""
        ...

    def resume(self) -> None:
        """Go on after pause()."""
        ...

    @property
    def paused(self) -> bool:
        """True between pause() and resume()."""
        ...

    def set_lr(self, lr: float) -> str:
        """Ask the run to train with this learning rate from its next batch (an LrChanged event says when it
        did); "" when asked, else why it cannot be (a followed run belongs to another process)."""
        ...


class EvaluationHandle(Protocol):
    """One robustness evaluation in flight: iterate its progress on one thread (a RobustnessResult last); stop
    from any thread."""

    def events(self) -> Iterator[RobustnessEvent]:
        """Progress as it happens, then the result (stopped=True after a stop; problem set when it failed)."""
        ...

    def stop(self) -> None:
        """Ask the evaluation to stop after its current chunk."""
        ...


class TrainingBackend(Protocol):
    """Where the app's runs train. Every method but close may block: call them from a worker thread."""

    notice: str
    """Why the backend works otherwise than asked (e.g. training in a thread: the process cannot start); ""."""

    def devices(self) -> tuple[str, ...]:
        """The devices runs can train on, "auto" first; waits until training can start."""
        ...

    def preview(self, data: DataSpec, on_wait: Callable[[], None] | None = None) -> PreviewData | None:
        """A dataset preview computed where training runs; waits (calling on_wait once) while a run trains.
        None when a newer preview was asked for meanwhile, or the backend closed."""
        ...

    def inspect(
        self, run_dir: str, checkpoint: str = "best", sample: int = 0, on_wait: Callable[[], None] | None = None
    ) -> Inspection | str | None:
        """A saved run's inspection (its best.pt or last.pt), computed where training runs; waits (calling on_wait
        once) while a run trains. A str says why there is none; None when a newer one was asked for meanwhile,
        or the backend closed."""
        ...

    def start(self, request: RunRequest) -> RunHandle:
        """Start one run (one at a time: the previous run's events must have ended)."""
        ...

    def find_lr(self, experiment: Experiment) -> LrFinding | str:
        """The learning-rate finder's sweep on the experiment's fresh model, computed where training runs;
        why it cannot be, in words, instead (a run is training, a setting or the dataset is wrong)."""
        ...

    def boundary(self, run_dir: str) -> BoundaryMap | str:
        """A saved 2-D run's decision boundary from its best.pt, computed where training runs; why not, in
        words, instead (no checkpoint, not 2-D data, a run is training in the process)."""
        ...

    def evaluate(self, request: RobustnessRequest) -> EvaluationHandle:
        """Start a robustness evaluation of a saved run where training runs (one thing at a time: refused with
        BackendError while a run trains)."""
        ...

    def close(self) -> None:
        """Stop a run in flight (it ends "stopped") and release the process or thread."""
        ...

    def detach(self) -> bool:
        """The app is going away but its run should not (the terminal hung up): leave the run in flight to train
        on headless, writing its run directory; True when one goes on so (then close() is not called)."""
        ...


class RunControl:
    """Stop and pause flags of one run, set from any thread; `wait_if_paused` parks the training thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._going = threading.Event()
        self._going.set()
        self._lr_lock = threading.Lock()
        self._lr: float | None = None
        self.on_change: Callable[[], None] | None = None
        """Called after every stop, pause, resume and new rate (from the thread that asked): a process run's
        reader waits for it instead of polling the flags."""

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    @property
    def stop_requested(self) -> bool:
        """True once stop() was called."""
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        """True between pause() and resume() (a stop ends a pause)."""
        return not self._going.is_set()

    def stop(self) -> None:
        """Ask for a stop (also ends a pause)."""
        self._stop.set()
        self._going.set()
        self._changed()

    def pause(self) -> None:
        """Ask for a pause."""
        self._going.clear()
        self._changed()

    def resume(self) -> None:
        """End a pause."""
        self._going.set()
        self._changed()

    def should_stop(self) -> bool:
        """The training loop's poll: blocks while paused, then says whether to stop."""
        self._going.wait()
        return self._stop.is_set()

    __call__ = should_stop
    """The control itself is the run's should_stop (so the engine finds its take_lr)."""

    def set_lr(self, lr: float) -> None:
        """Ask for this learning rate from the next batch (a newer request replaces one not yet taken)."""
        with self._lr_lock:
            self._lr = float(lr)
        self._changed()

    def take_lr(self) -> float | None:
        """The rate asked for since the last call, or None (the engine's LrRequests)."""
        with self._lr_lock:
            lr, self._lr = self._lr, None
        return lr


class ControlledRun:
    """A RunHandle's controls over its RunControl; subclasses add events()."""

    def __init__(self) -> None:
        self.control = RunControl()

    def stop(self) -> None:
        """Ask the run to stop at its next batch (also ends a pause)."""
        self.control.stop()

    def pause(self) -> None:
        """Park the run at its next batch."""
        self.control.pause()

    def resume(self) -> None:
        """Go on after pause()."""
        self.control.resume()

    @property
    def paused(self) -> bool:
        """True between pause() and resume()."""
        return self.control.paused

    def set_lr(self, lr: float) -> str:
        """Train with this learning rate from the next batch; "" (asked)."""
        self.control.set_lr(lr)
        return ""


class PreviewQueue:
    """Previews wait while a run trains; only the newest request is answered (older ones get None)."""

    def __init__(self) -> None:
        self._idle = threading.Condition()
        self._training = False
        self._newest = 0
        self._closed = False

    def set_training(self, training: bool) -> None:
        """Called by the backend when a run starts and when it has ended."""
        with self._idle:
            self._training = training
            self._idle.notify_all()

    def close(self) -> None:
        """Wake every waiting preview: they all get None."""
        with self._idle:
            self._closed = True
            self._idle.notify_all()

    def wait_turn(self, on_wait: Callable[[], None] | None) -> bool:
        """Wait until no run trains; False when a newer preview was asked for meanwhile, or closed."""
        with self._idle:
            self._newest += 1
            mine = self._newest
            self._idle.notify_all()  # an older request waiting now knows it is superseded
            if self._training and on_wait is not None:
                on_wait()
            while self._training and mine == self._newest and not self._closed:
                self._idle.wait()
            return mine == self._newest and not self._closed


BUSY = "a run is training: the learning-rate finder runs once it has ended"
"""Why find_lr is refused while a run trains (they would share the machine, and the child)."""


def lr_finding_here(experiment: Experiment) -> LrFinding | str:
    """find_lr in this process (the thread backend, and the child itself): the finding, or the problem's words."""
    from tui_trainer.core.pipeline.lr_find import find_lr
    from tui_trainer.core.spec.experiment import Problem

    try:
        finding = find_lr(experiment)
    except Exception as exc:  # noqa: BLE001 - e.g. out of memory: said, never a traceback
        return f"the learning-rate finder failed: {type(exc).__name__}: {exc}"
    return str(finding) if isinstance(finding, Problem) else finding


def boundary_here(run_dir: str) -> BoundaryMap | str:
    """A saved run's boundary computed in this process (the thread backend, and the child itself), or why not."""
    from tui_trainer.core.data.errors import DatasetError
    from tui_trainer.core.runs.files import RunError
    from tui_trainer.core.training.boundary import boundary_of_run

    try:
        return boundary_of_run(run_dir)
    except (RunError, DatasetError) as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - said, never a traceback
        return f"cannot draw the boundary: {type(exc).__name__}: {exc}"


def auto_threads() -> int:
    """Torch threads for a run with threads = 0 beside a UI in the same process: all cores but one."""
    return max(1, (os.cpu_count() or 2) - 1)
