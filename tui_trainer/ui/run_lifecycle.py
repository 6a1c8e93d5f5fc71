"""The app's run life cycle: start, retrain, attach, resume, pause, stop, overlays; one run at a time.

Each run's events are read from its backend handle on a Textual thread worker and posted to the app
as TrainingEventMessage; the Train tab draws them. Attributes go down (the Train tab's methods),
messages come up (the app relays them here).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.css.query import NoMatches

from tui_trainer.core.backend import BackendError, RunHandle, TrainingBackend
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.events import RunEnded, RunStarted, RunStatus
from tui_trainer.core.spec.experiment import Experiment
from tui_trainer.ui.messages import TrainingEventMessage, TrainingThreadDone

if TYPE_CHECKING:
    from tui_trainer.ui.tabs.train import TrainPane

BUG_HINT = "this looks like a bug: please report it"


class RunHost(Protocol):
    """What the life cycle needs of the app (TrainerApp): the edited experiment and a few of its actions."""

    experiment: Experiment
    runs_dir: str | Path | None

    def blockers(self) -> list[str]: ...
    def action_show_tab(self, tab: str) -> None: ...
    def settle_memory(self) -> None: ...
    def learn_shape(self, experiment: Experiment, input_shape: tuple[int, ...], n_classes: int) -> None: ...
    def notify(self, message: str, *, title: str = "", severity: Any = "information", **kwargs: Any) -> None: ...
    def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
    def post_message(self, message: Any) -> bool: ...
    def run_worker(self, work: Callable[[], None], **kwargs: Any) -> Any: ...


class RunLifecycle:
    """Owns the run in flight: its handle, its reader thread, and a retrain waiting for it to end."""

    def __init__(self, app: RunHost, backend: TrainingBackend) -> None:
        self.app = app
        self.backend = backend
        self.run_id = 0
        """The current run's number; events of an earlier run are ignored."""
        self.handle: RunHandle | None = None
        self.overlays: dict[str, tuple[str, list]] = {}
        """Past runs drawn dimmed on the Train plots: run dir -> (label, metrics.csv rows)."""
        self._done = threading.Event()
        self._done.set()
        self._pending: Experiment | None = None

    @property
    def running(self) -> bool:
        """True until the current run's reader has returned (a new run waits for it)."""
        return not self._done.is_set()

    @property
    def paused(self) -> bool:
        """True while the current run is paused."""
        return self.running and self.handle is not None and self.handle.paused

    @property
    def pane(self) -> TrainPane:
        from tui_trainer.ui.tabs.train import TrainPane

        return self.app.query_one(TrainPane)

    # ------------------------------------------------------------ starting

    def start(self) -> None:
        """Start a run of the edited experiment, unless one is going or something blocks it."""
        self.app.action_show_tab("train")
        if self.running:
            self.app.notify(
                "A run is going: r retrains with the edited settings, x stops it.", title="Training", markup=False
            )
            return
        self._start_checked()

    def retrain(self) -> None:
        """Stop the current run (if any), then train the edited experiment again with fresh weights."""
        self.app.action_show_tab("train")
        if self.running and not self.app.blockers():
            self.stop_run()
            self._pending = self.app.experiment
            self.pane.show_stopping("stopping the previous run, then training again...")
            return
        self._start_checked()  # starts, or shows why it cannot

    def attach(self, run_dir: str | Path) -> None:
        """Follow a run that another process writes (e.g. a nohup'ed `tui-trainer train`) on the Train tab."""
        from tui_trainer.core.backend.follow import FollowRun
        from tui_trainer.core.runs import load_run

        record = load_run(run_dir)
        if record.experiment is None:
            problem = record.problem or f"{run_dir} cannot be read"
            self.app.notify(problem, title="Attach", severity="error", markup=False)
            return
        self._start_special(record.experiment, lambda: FollowRun(run_dir), "attach to another run")

    def resume(self, run_dir: str | Path, experiment: Experiment) -> None:
        """Continue a saved run from its last checkpoint, in its own run directory (with the checkpoint's
        own experiment: `experiment` is what the Runs tab read from experiment.toml, for the display)."""
        request = RunRequest(None, resume=str(run_dir))
        self._start_special(experiment, lambda: self.backend.start(request), "resume another run")

    def _start_checked(self) -> None:
        reasons = self.app.blockers()
        if reasons:
            self.pane.show_blocked(reasons)
            self.app.notify(reasons[0], title="Cannot train yet", severity="error", markup=False)
            return
        self._start_new(self.app.experiment)

    def _start_new(self, experiment: Experiment) -> None:
        runs_dir = self.app.runs_dir
        request = RunRequest(experiment, runs_dir=None if runs_dir is None else str(runs_dir))
        self._launch(experiment, lambda: self.backend.start(request))

    def _start_special(self, experiment: Experiment, open_handle, what: str) -> None:
        self.app.action_show_tab("train")
        if self.running:
            self.app.notify(f"A run is going: stop it (x) before you {what}.", severity="warning", markup=False)
            return
        self._launch(experiment, open_handle)

    def _launch(self, experiment: Experiment, open_handle) -> None:
        self._pending = None
        self.app.settle_memory()
        try:
            handle = open_handle()
        except BackendError as exc:
            self.app.notify(str(exc), title="Training", severity="error", markup=False)
            return
        self.run_id += 1
        run_id = self.run_id
        self.handle = handle
        self._done = done = threading.Event()
        app = self.app

        def read_events() -> None:
            ended = False
            try:
                for event in handle.events():
                    ended = ended or isinstance(event, RunEnded)
                    app.post_message(TrainingEventMessage(event, run_id))
            except Exception as exc:  # a bug or an unexpected failure: show it, keep the app alive
                if not ended:
                    failed = RunEnded(RunStatus.FAILED, f"{type(exc).__name__}: {exc}", BUG_HINT)
                    app.post_message(TrainingEventMessage(failed, run_id))
            finally:
                done.set()
                app.post_message(TrainingThreadDone(run_id))

        app.run_worker(read_events, name=f"training-run-{run_id}", group="training", thread=True, exit_on_error=False)
        self.pane.begin_run(experiment, run_id)

    # ------------------------------------------------------------ controls

    def toggle_pause(self) -> None:
        """Pause the run at its next batch, or resume it."""
        if not self.running or self.handle is None:
            return
        if self.handle.paused:
            self.handle.resume()
            self.pane.set_paused(False)
        else:
            self.handle.pause()
            self.pane.set_paused(True)

    def stop(self) -> None:
        """Ask the run to stop at its next batch, and say so."""
        if self.running:
            self.stop_run()
            self.pane.show_stopping("stopping...")

    def stop_run(self) -> None:
        """Ask the run to stop at its next batch (no message)."""
        if self.handle is not None:
            self.handle.stop()

    def join(self, timeout: float = 5.0) -> bool:
        """Stop and wait for the run's reader to return; True when it did within timeout."""
        self.stop_run()
        return self._done.wait(timeout)

    def set_overlays(self, overlays: dict[str, tuple[str, list]]) -> None:
        """Past runs to draw dimmed on the Train plots."""
        self.overlays = overlays
        self.pane.set_overlays(list(overlays.values()))

    # ------------------------------------------------------------ events (on the UI thread)

    def _pane_if_shown(self) -> TrainPane | None:
        """The Train tab, or None once the app is closing (events may still arrive then)."""
        try:
            return self.pane
        except NoMatches:
            return None

    def on_event(self, message: TrainingEventMessage) -> None:
        """Draw one event of the current run; a csv:/folder: shape becomes known at RunStarted."""
        pane = self._pane_if_shown()
        if message.run_id != self.run_id or pane is None:
            return
        event = message.event
        run = pane.current
        if isinstance(event, RunStarted) and run is not None:
            self.app.learn_shape(run.experiment, event.input_shape, len(event.class_names))
        pane.handle_event(event)

    def on_thread_done(self, message: TrainingThreadDone) -> None:
        """The run's reader returned: start a retrain that waited for it."""
        pane = self._pane_if_shown()
        if pane is None:
            return
        pane.thread_done(message.run_id)
        if self._pending is not None and not self.running:
            self._start_new(self._pending)
