"""The thread backend: runs train in a thread of the app's own process (the fallback, and the UI tests' fake)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

from tui_trainer.core.backend.base import (
    BUSY,
    BackendError,
    ControlledRun,
    PreviewQueue,
    RunFunction,
    auto_threads,
    boundary_here,
    lr_finding_here,
)
from tui_trainer.core.data.preview import PreviewData
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.boundary import BoundaryMap
from tui_trainer.core.spec.events import RunEnded, RunStatus, TrainingEvent
from tui_trainer.core.spec.experiment import DataSpec, Experiment
from tui_trainer.core.spec.inspection import Inspection
from tui_trainer.core.spec.lr_finding import LrFinding
from tui_trainer.core.spec.robustness import RobustnessEvent, RobustnessRequest, RobustnessResult

EvaluateFunction = Callable[..., RobustnessResult]
"""(request, on_progress, should_stop) -> RobustnessResult: analysis.robustness.evaluate_robustness by default."""

BUG_HINT = "this looks like a bug: please report it"
TRAINING = "a run is training: evaluate its robustness once it has ended"
EVALUATING = "a robustness evaluation is going: wait for it to end or stop it"


def train_here(request: RunRequest, *, on_event, should_stop) -> RunEnded:
    """The pipeline's run in this process, torch given all cores but one when the run says threads = 0
    (the UI thread keeps a core: docs/architecture.md, "Where training runs")."""
    import torch

    from tui_trainer.core.pipeline.execute import run

    if request.experiment is not None and request.experiment.train.threads == 0:
        torch.set_num_threads(auto_threads())
    return run(request, on_event=on_event, should_stop=should_stop)


def preview_here(data: DataSpec) -> PreviewData:
    """A dataset preview computed in this process."""
    from tui_trainer.core.data.preview import preview_or_message

    return preview_or_message(data)


def evaluate_here(request: RobustnessRequest, on_progress, should_stop) -> RobustnessResult:
    """A robustness evaluation in this process, torch given all cores but one (as a run with threads = 0)."""
    import torch

    from tui_trainer.core.analysis.robustness import evaluate_robustness

    torch.set_num_threads(auto_threads())
    return evaluate_robustness(request, on_progress, should_stop)


class ThreadEvaluation(ControlledRun):
    """A robustness evaluation in a thread of its own; its progress and result pass through a queue."""

    def __init__(self, request: RobustnessRequest, evaluate: EvaluateFunction, on_done: Callable[[], None]) -> None:
        super().__init__()
        self._queue: queue.SimpleQueue[RobustnessEvent | None] = queue.SimpleQueue()
        self._on_done = on_done
        self._thread = threading.Thread(target=self._body, args=(request, evaluate), name="evaluation", daemon=True)

    def start(self) -> ThreadEvaluation:
        """Start its thread (once the backend holds it: a quick evaluation may end before start returns)."""
        self._thread.start()
        return self

    def _body(self, request: RobustnessRequest, evaluate: EvaluateFunction) -> None:
        try:
            self._queue.put(evaluate(request, self._queue.put, self.control.should_stop))
        except Exception as exc:  # a bug: the view shows it and the app stays alive
            self._queue.put(RobustnessResult(request.run_dir, problem=f"{type(exc).__name__}: {exc} ({BUG_HINT})"))
        finally:
            self._on_done()
            self._queue.put(None)

    def events(self) -> Iterator[RobustnessEvent]:
        """Progress until the result."""
        while (event := self._queue.get()) is not None:
            yield event
        self._thread.join()


def inspect_here(run_dir: str, checkpoint: str = "best", sample: int = 0) -> Inspection | str:
    """A saved run's inspection computed in this process (its message when there is none)."""
    from tui_trainer.core.analysis.saved import inspect_or_message

    return inspect_or_message(run_dir, checkpoint, sample)


class ThreadRun(ControlledRun):
    """A run training in a thread of its own; its events pass through a queue to events()."""

    def __init__(self, request: RunRequest, run: RunFunction, on_done: Callable[[], None]) -> None:
        super().__init__()
        self._queue: queue.SimpleQueue[TrainingEvent | None] = queue.SimpleQueue()
        self._on_done = on_done
        self._thread = threading.Thread(target=self._body, args=(request, run), name="training-run", daemon=True)
        self._thread.start()

    def _body(self, request: RunRequest, run: RunFunction) -> None:
        ended = False

        def put(event: TrainingEvent) -> None:
            nonlocal ended
            ended = ended or isinstance(event, RunEnded)
            self._queue.put(event)

        try:
            run(request, on_event=put, should_stop=self.control)
        except Exception as exc:  # a bug or an unexpected failure: the app shows it and stays alive
            if not ended:
                put(RunEnded(RunStatus.FAILED, f"{type(exc).__name__}: {exc}", BUG_HINT))
        finally:
            self._queue.put(None)
            self._on_done()

    def events(self) -> Iterator[TrainingEvent]:
        """The run's events until its thread returned."""
        while (event := self._queue.get()) is not None:
            yield event
        # The thread has only its on_done left: once events() ends, start() may take the next run.
        self.join()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run's thread; True when it has returned."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


class ThreadBackend:
    """Trains each run in a new thread of this process, one at a time; previews are computed here too."""

    def __init__(
        self,
        run: RunFunction = train_here,
        *,
        devices: tuple[str, ...] | None = None,
        preview: Callable[[DataSpec], PreviewData] = preview_here,
        evaluate: EvaluateFunction = evaluate_here,
        notice: str = "",
        inspect: Callable[[str, str, int], Inspection | str] = inspect_here,
        lr_finder: Callable[[Experiment], LrFinding | str] = lr_finding_here,
    ) -> None:
        """run: what trains a request (a scripted fake in the UI tests); devices: fixed devices (default:
        what torch finds, imported on first use); preview, inspect: how previews and saved runs' inspections
        are computed; evaluate: how robustness evaluations are (a scripted fake in the UI tests); lr_finder:
        how the learning-rate finder's sweep is."""
        self.run_function = run
        self._lr_finder = lr_finder
        self.evaluate_function = evaluate
        self._evaluation: ThreadEvaluation | None = None
        self.notice = notice
        self._devices = devices
        self._preview = preview
        self._inspect = inspect
        self._previews = PreviewQueue()
        self._inspections = PreviewQueue()
        self._current: ThreadRun | None = None
        self._closed = False

    def devices(self) -> tuple[str, ...]:
        if self._devices is None:
            from tui_trainer.core.training.devices import available_devices

            self._devices = ("auto", *available_devices())
        return self._devices

    def preview(self, data: DataSpec, on_wait: Callable[[], None] | None = None) -> PreviewData | None:
        if not self._previews.wait_turn(on_wait):
            return None
        return self._preview(data)

    def inspect(
        self, run_dir: str, checkpoint: str = "best", sample: int = 0, on_wait: Callable[[], None] | None = None
    ) -> Inspection | str | None:
        if not self._inspections.wait_turn(on_wait):
            return None
        return self._inspect(run_dir, checkpoint, sample)

    def start(self, request: RunRequest) -> ThreadRun:
        if self._closed:
            raise BackendError("the training backend was closed")
        if self._current is not None and not self._current.join(0):
            raise BackendError("a run is still going: stop it and wait for it to end")
        if self._evaluation is not None:
            raise BackendError(EVALUATING)
        self._set_training(True)
        self._current = ThreadRun(request, self.run_function, lambda: self._set_training(False))
        return self._current

    def _set_training(self, training: bool) -> None:
        self._previews.set_training(training)
        self._inspections.set_training(training)

    def find_lr(self, experiment: Experiment) -> LrFinding | str:
        """The learning-rate finder in this thread (call it from a worker); refused while a run trains."""
        if self._current is not None and not self._current.join(0):
            return BUSY
        return self._lr_finder(experiment)

    def boundary(self, run_dir: str) -> BoundaryMap | str:
        """A saved run's boundary computed in this thread (call it from a worker)."""
        return boundary_here(run_dir)

    def evaluate(self, request: RobustnessRequest) -> ThreadEvaluation:
        """A robustness evaluation in a thread of its own (refused while a run trains or another evaluates)."""
        if self._closed:
            raise BackendError("the training backend was closed")
        if self._current is not None and not self._current.join(0):
            raise BackendError(TRAINING)
        if self._evaluation is not None:
            raise BackendError(EVALUATING)
        self._set_training(True)

        def done() -> None:
            self._evaluation = None
            self._set_training(False)

        self._evaluation = ThreadEvaluation(request, self.evaluate_function, done)
        return self._evaluation.start()

    def detach(self) -> bool:
        """A run in a thread cannot outlive this process: False (close() then stops it, resumable)."""
        return False

    def close(self, timeout: float = 10.0) -> None:
        """Stop the run in flight and wait up to timeout seconds for it to end "stopped"."""
        self._closed = True
        self._previews.close()
        if self._evaluation is not None:
            self._evaluation.stop()
        self._inspections.close()
        if self._current is not None:
            self._current.stop()
            self._current.join(timeout)
