"""The app's run life cycle: start, retrain, attach, resume, train more epochs, pause, stop, overlays; one run at a time.

Each run's events are read from its backend handle on a Textual thread worker and posted to the app
as TrainingEventMessage; the Train tab draws them. Attributes go down (the Train tab's methods),
messages come up (the app relays them here). A followed run (attach, `tui-trainer watch`) belongs to
another process: p and r say so and do nothing, x only stops following.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.css.query import NoMatches

from tui_trainer.core.backend import BackendError, RunHandle, TrainingBackend
from tui_trainer.core.pipeline.request import ReviewRequest, RunRequest
from tui_trainer.core.spec.events import LrChanged, RunEnded, RunStarted, RunStatus
from tui_trainer.core.spec.experiment import Experiment, Problem
from tui_trainer.ui.messages import TrainingEventMessage, TrainingThreadDone
from tui_trainer.ui.overlays import Overlay, overlay_problem

if TYPE_CHECKING:
    from tui_trainer.core.backend.follow import FollowRun
    from tui_trainer.ui.tabs.train import TrainPane

BUG_HINT = "this looks like a bug: please report it"


class RunHost(Protocol):
    """What the life cycle needs of the app (TrainerApp): the edited experiment and a few of its actions."""

    experiment: Experiment
    runs_dir: str | Path | None

    def blockers(self) -> list[str]: ...
    def blocking_problems(self) -> list[Problem]: ...
    def show_field(self, field: str) -> bool: ...
    def action_show_tab(self, tab: str) -> None: ...
    def settle_memory(self) -> None: ...
    def learn_shape(self, experiment: Experiment, input_shape: tuple[int, ...], n_classes: int) -> None: ...
    def open_review(self, run_dir: str | Path, experiment: Experiment) -> None: ...
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
        self.following: FollowRun | None = None
        """The current run's handle when it is a run another process trains (attach, watch), else None."""
        self.overlays: dict[str, Overlay] = {}
        """Past runs picked to draw dimmed on the Train plots, by run directory."""
        self._done = threading.Event()
        self._done.set()
        self.asked_lr: float | None = None
        """A learning rate asked for by hand that the run has not applied yet (the base of the next ÷2 / ×2)."""
        self._pending: tuple[Experiment, bool] | None = None
        """A retrain waiting for the current run to end: (its experiment, whether the editors hold it)."""
        self._not_edited: tuple[Experiment, Experiment, str] | None = None
        """(the current run's experiment, the editors' then, "resumed" or "followed") when the run did not come
        from the editors: while the editors stay as they were, r retrains that run's experiment."""
        self._reviewing: tuple[int, Path, Experiment] | None = None
        """(run id, run directory, its experiment) of a review of a saved run's labels in flight: its queue opens
        when it finishes."""

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
        if self._refuse_followed("s"):
            return
        if self.running:
            self.app.notify(
                "A run is going: r retrains with the edited settings, x stops it.", title="Training", markup=False
            )
            return
        self._start_checked()

    def retrain(self) -> None:
        """Stop the current run (if any), then train again with fresh weights: the edited experiment, or right
        after a resume or an attach (the editors untouched since) that run's experiment."""
        self.app.action_show_tab("train")
        if self._refuse_followed("r"):
            return
        source = self._retrain_source()
        if source is not None and self._not_edited is not None:
            self._say_what_retrains(source, self._not_edited[2])
            if self.running:
                self.stop_run()
                self._pending = (source, False)
                self.pane.show_stopping("stopping the run, then training its experiment again...")
            else:
                self._start_new(source, from_editors=False)
            return
        if self.running and not self.app.blockers():
            self.stop_run()
            self._pending = (self.app.experiment, True)
            self.pane.show_stopping("stopping the previous run, then training again...")
            return
        self._start_checked()  # starts, or shows why it cannot

    def _retrain_source(self) -> Experiment | None:
        """The current run's experiment when it did not come from the editors and they are as they were then."""
        if self._not_edited is None:
            return None
        experiment, editors, _ = self._not_edited
        return experiment if self.app.experiment == editors else None

    def _say_what_retrains(self, experiment: Experiment, kind: str) -> None:
        self.app.notify(
            f"r trains the {kind} run's experiment again ({experiment.name} on {experiment.data.name}) with fresh "
            "weights in a new run directory; edit a setting first to train the edited experiment instead.",
            title="Retrain",
            markup=False,
        )

    def _refuse_followed(self, key: str) -> bool:
        """While following a run another process trains: say that key cannot act on it (True), else False."""
        follow = self.following
        if follow is None or not self.running:
            return False
        self.app.notify(
            f"this run is trained by {follow.trainer}: p/x/r act only on runs this app trains; x stops following"
            + (" (then s trains the edited experiment)" if key == "s" else ""),
            title="Following",
            severity="warning",
            markup=False,
        )
        return True

    def attach(self, run_dir: str | Path) -> None:
        """Follow a run that another process writes (e.g. a nohup'ed `tui-trainer train`) on the Train tab."""
        from tui_trainer.core.backend.follow import FollowRun
        from tui_trainer.core.runs import load_run

        record = load_run(run_dir)
        if record.experiment is None:
            problem = record.problem or f"{run_dir} cannot be read"
            self.app.notify(problem, title="Attach", severity="error", markup=False)
            return
        follow = FollowRun(run_dir)
        self._start_special(record.experiment, lambda: follow, "attach to another run", "followed", follow=follow)

    def resume(self, run_dir: str | Path, experiment: Experiment, *, epochs: int | None = None) -> None:
        """Continue a saved run from its last checkpoint, in its own run directory (with the checkpoint's
        own experiment: `experiment` is what the Runs tab read from experiment.toml, for the display).
        epochs: train up to this many epochs in all (a finished run trains more; `train --resume DIR --set
        epochs=N` in the CLI); None: the epochs it was started with."""
        if epochs is None:
            request = RunRequest(None, resume=str(run_dir), inspect=True)
        else:
            experiment = experiment.with_train(epochs=epochs)
            request = RunRequest(experiment, resume=str(run_dir), inspect=True)
        what = "resume another run" if epochs is None else "train a run more epochs"
        self._start_special(experiment, lambda: self.backend.start(request), what, "resumed")

    def review(self, run_dir: str | Path, experiment: Experiment, folds: int = 5) -> None:
        """Review a saved run's training labels where training runs (k-fold cross-validation: k trainings of its
        experiment), progress on the Train tab; the review queue opens when it finishes."""
        request = RunRequest(None, review=ReviewRequest(str(run_dir), folds=folds))
        self._start_special(experiment, lambda: self.backend.start(request), "review a run's labels", "reviewed")
        if self.handle is not None and self.running and self.following is None:
            self._reviewing = (self.run_id, Path(run_dir), experiment)

    def _start_checked(self) -> None:
        """Start the edited experiment, or say why it cannot start.

        Blocked, the Train tab lists every reason (kept there for when the user comes back to it); when one of
        them sits at a field of the Hyperparams or Data tab, that tab is shown instead with the field focused
        (its error is shown beside it) and the notification names that problem: the user lands where the fix is
        typed. Problems of the model (layers, the fit to the data) and of no one field leave the Train tab shown.
        """
        problems = self.app.blocking_problems()
        if problems:
            self.pane.show_blocked([str(p) for p in problems])
            at_field = next((p for p in problems if self.app.show_field(p.field)), problems[0])
            self.app.notify(str(at_field), title="Cannot train yet", severity="error", markup=False)
            return
        self._start_new(self.app.experiment)

    def _start_new(self, experiment: Experiment, *, from_editors: bool = True) -> None:
        """Train the experiment in a new run directory; from_editors False: a retrain of a run that did not
        come from the editors (r goes on retraining it while they stay as they are)."""
        runs_dir = self.app.runs_dir
        request = RunRequest(experiment, runs_dir=None if runs_dir is None else str(runs_dir), inspect=True)
        if self._launch(experiment, lambda: self.backend.start(request)) and from_editors:
            self._not_edited = None

    def _start_special(
        self, experiment: Experiment, open_handle, what: str, kind: str, *, follow: FollowRun | None = None
    ) -> None:
        """Start a run that does not come from the editors (kind "resumed" or "followed")."""
        self.app.action_show_tab("train")
        if self.running:
            self.app.notify(f"A run is going: stop it (x) before you {what}.", severity="warning", markup=False)
            return
        if self._launch(experiment, open_handle, follow=follow):
            self._not_edited = (experiment, self.app.experiment, kind)

    def _launch(self, experiment: Experiment, open_handle, *, follow: FollowRun | None = None) -> bool:
        """Open the run's handle and read its events on a worker thread; False when the backend cannot."""
        self._pending = None
        self.app.settle_memory()
        try:
            handle = open_handle()
        except BackendError as exc:
            self.app.notify(str(exc), title="Training", severity="error", markup=False)
            return False
        self.run_id += 1
        run_id = self.run_id
        self.handle = handle
        self.following = follow
        self._done = done = threading.Event()
        app = self.app

        def read_events() -> None:
            ended = False
            try:
                for event in handle.events():
                    ended = ended or isinstance(event, RunEnded)
                    replayed = follow is not None and follow.replaying
                    app.post_message(TrainingEventMessage(event, run_id, replaceable=not replayed))
            except Exception as exc:  # a bug or an unexpected failure: show it, keep the app alive
                if not ended:
                    failed = RunEnded(RunStatus.FAILED, f"{type(exc).__name__}: {exc}", BUG_HINT)
                    app.post_message(TrainingEventMessage(failed, run_id))
            finally:
                done.set()
                app.post_message(TrainingThreadDone(run_id))

        app.run_worker(read_events, name=f"training-run-{run_id}", group="training", thread=True, exit_on_error=False)
        self.pane.begin_run(experiment, run_id)
        self._say_overlays_not_drawn(experiment.data.name)
        return True

    # ------------------------------------------------------------ controls

    def toggle_pause(self) -> None:
        """Pause the run at its next batch, or resume it (a followed run: say that p cannot)."""
        if not self.running or self.handle is None or self._refuse_followed("p"):
            return
        if self.handle.paused:
            self.handle.resume()
            self.pane.set_paused(False)
        else:
            self.handle.pause()
            self.pane.set_paused(True)

    def set_lr(self, lr: float) -> str:
        """Ask the run in flight to train with this learning rate from its next batch; "" when asked, else why
        it cannot be (no run trains, or it is another process's)."""
        if not self.running or self.handle is None:
            return "no run is training: set the learning rate on the Hyperparams tab"
        refusal = self.handle.set_lr(lr)
        if not refusal:
            self.asked_lr = lr
        return refusal

    def lr_now(self) -> float | None:
        """The rate the next change starts from: the one asked for and not yet applied, else the run's (None
        when no run trains)."""
        run = self.pane.current
        if not self.running or run is None or run.done:
            return None
        return self.asked_lr if self.asked_lr is not None else run.current_lr

    def change_lr(self, value: str | float | None) -> None:
        """Check a rate typed or computed (a bad one is said in one message) and ask the run for it."""
        if value is None:
            return
        from tui_trainer.core.spec.lr_change import parse_lr

        try:
            lr = parse_lr(value)
        except ValueError as exc:
            self.app.notify(str(exc), title="Learning rate", severity="error", markup=False)
            return
        refusal = self.set_lr(lr)
        if refusal:
            self.app.notify(refusal, title="Learning rate", severity="warning", markup=False)
        else:
            self.app.notify(f"learning rate {lr:.3g} from the next batch", title="Learning rate", markup=False)

    def scale_lr(self, factor: float) -> None:
        """Halve (0.5) or double (2) the learning rate from the next batch."""
        now = self.lr_now()
        if now is None:
            self.app.notify("no run is training: set the learning rate on the Hyperparams tab", markup=False)
            return
        self.change_lr(now * factor)

    def stop(self) -> None:
        """Ask the run to stop at its next batch, and say so; a followed run: stop following (it goes on)."""
        if not self.running:
            return
        self.stop_run()
        if self.following is not None:
            self.pane.show_stopping(f"not following any more; the run goes on in {self.following.trainer}")
        else:
            self.pane.show_stopping("stopping...")

    def stop_run(self) -> None:
        """Ask the run to stop at its next batch (no message)."""
        if self.handle is not None:
            self.handle.stop()

    def join(self, timeout: float = 5.0) -> bool:
        """Stop and wait for the run's reader to return; True when it did within timeout."""
        self.stop_run()
        return self._done.wait(timeout)

    def set_overlays(self, overlays: dict[str, Overlay]) -> None:
        """Past runs to draw dimmed on the Train plots (by run directory)."""
        self.overlays = overlays
        self.pane.set_overlays(list(overlays.values()))

    def overlay_problem(self, overlay: Overlay) -> str | None:
        """Why the overlay is not drawn beside the Train tab's run (another dataset; before any run: another
        dataset than the first picked overlay's), or None."""
        run = self.pane.current
        if run is not None:
            return overlay_problem(overlay, run.experiment.data.name)
        first = next(iter(self.overlays.values()), overlay)
        return overlay_problem(overlay, first.dataset)

    def _say_overlays_not_drawn(self, dataset: str) -> None:
        """A run on another dataset than some picked overlays began: say that they are not drawn."""
        others = sorted({o.dataset for o in self.overlays.values() if overlay_problem(o, dataset)})
        if others:
            self.app.notify(
                f"The overlaid runs on {', '.join(others)} are not drawn: this run trains on {dataset} "
                "(overlays need the same dataset).",
                title="Overlay",
                markup=False,
            )

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
        if isinstance(event, (RunStarted, LrChanged)):
            self.asked_lr = None
        if isinstance(event, RunStarted) and run is not None:
            self.app.learn_shape(run.experiment, event.input_shape, len(event.class_names))
        pane.handle_event(event)
        reviewing = self._reviewing
        if isinstance(event, RunEnded) and reviewing is not None and reviewing[0] == message.run_id:
            self._reviewing = None
            if event.status == RunStatus.FINISHED:
                self.app.open_review(reviewing[1], reviewing[2])

    def on_thread_done(self, message: TrainingThreadDone) -> None:
        """The run's reader returned: start a retrain that waited for it."""
        pane = self._pane_if_shown()
        if pane is None:
            return
        pane.thread_done(message.run_id)
        if self._pending is not None and not self.running:
            experiment, from_editors = self._pending
            self._start_new(experiment, from_editors=from_editors)
