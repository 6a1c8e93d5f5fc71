"""A fake run function for the UI tests (scripted events, holding between batches, failures) and the one
factory that builds an app training with it: TrainerApp(backend=ThreadBackend(run=fake, devices=...))."""

from __future__ import annotations

import threading

from helpers import dashboard_drawn

from tui_trainer.core.backend.thread import ThreadBackend
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, RunPhase, RunStarted
from tui_trainer.core.spec.metrics import report_from_confusion
from tui_trainer.ui.app import TrainerApp

CLASSES = ("cat", "dog", "bird")
DEVICES = ("auto", "cpu")
"""What the fake backend offers (no torch import to look for GPUs)."""
STOP_POLL_S = 0.01
"""While held, how often the fake asks should_stop (the run function's only way to learn of a stop,
as the real engine asks once per batch); a release wakes it at once."""


def scripted_report(epoch: int):
    """A deterministic 3-class report that improves with the epoch."""
    good = 6 + 2 * epoch
    return report_from_confusion([[good, 2, 1], [1, good, 3], [0, 4, good - 1]], CLASSES)


def nothing(request, *, on_event, should_stop) -> None:
    """A run function for tests that never train."""


def fake_backend(run=nothing, **kwargs) -> ThreadBackend:
    """A thread backend training with run (a FakeEngine, or any run function), offering DEVICES."""
    return ThreadBackend(run=run, devices=kwargs.pop("devices", DEVICES), **kwargs)


def make_app(run=nothing, **kwargs) -> TrainerApp:
    """The app training with a fake run function in a thread (kwargs: TrainerApp's other arguments)."""
    return TrainerApp(backend=fake_backend(run), **kwargs)


class FakeEngine:
    """A run function for ThreadBackend: scripted events, optional holding before each batch.

    hold() makes the engine wait before each batch until release() (or a stop), so tests can pause,
    stop and retrain a run that is "in the middle" of training. `calls` records each request's
    experiment; `waiting` is set while it is held before a batch; `parked` is true while a call of
    should_stop has not returned (ThreadBackend's blocks while the run is paused).
    """

    def __init__(
        self,
        epochs: int = 3,
        batches: int = 4,
        *,
        val_losses: list[float] | None = None,
        fail: str | None = None,
        crash: bool = False,
    ) -> None:
        self.epochs, self.batches = epochs, batches
        self.val_losses = val_losses
        self.fail, self.crash = fail, crash
        self._released = threading.Event()
        self._released.set()
        self.waiting = threading.Event()
        """Set while the engine is held before a batch."""
        self.calls: list = []
        self.steps = 0
        self._asking = self._answered = 0

    @property
    def parked(self) -> bool:
        """True while the engine is inside should_stop (it blocks there while the run is paused)."""
        return self._asking > self._answered

    def _ask(self, should_stop) -> bool:
        self._asking += 1
        try:
            return should_stop()
        finally:
            self._answered += 1

    def hold(self) -> None:
        """From now on wait before each batch until release() or a stop."""
        self._released.clear()

    def release(self) -> None:
        """Let the batches go on."""
        self._released.set()

    def _wait_while_held(self, should_stop) -> bool:
        """Wait until released (at once) or stopped (seen at the next poll); True when stopped."""
        if self._released.is_set():
            return False
        self.waiting.set()
        try:
            while not self._released.wait(STOP_POLL_S):
                if self._ask(should_stop):
                    return True
            return False
        finally:
            self.waiting.clear()

    def __call__(self, request, *, on_event, should_stop):
        experiment = request.experiment
        self.calls.append(experiment)
        if self.crash:
            raise RuntimeError("boom")
        on_event(RunPhase("loading data"))
        on_event(RunStarted("cpu", 1234, 300, 60, 0, self.epochs, self.batches, 32, CLASSES, (2,)))
        history = []
        step = 0
        for epoch in range(1, self.epochs + 1):
            for batch in range(1, self.batches + 1):
                if self._wait_while_held(should_stop) or self._ask(should_stop):
                    end = RunEnded("stopped", "stopped by the user", "", len(history), 0.5, history=tuple(history))
                    on_event(end)
                    return end
                step += 1
                self.steps = step
                on_event(BatchEnd(epoch, batch, self.batches, step, 1.0 / step, 0.01, 1000.0, 0.1 * step))
            if self.fail and epoch == 2:
                end = RunEnded(
                    "failed", self.fail, "lower the learning rate", len(history), 0.5, history=tuple(history)
                )
                on_event(end)
                return end
            val_loss = self.val_losses[epoch - 1] if self.val_losses else 1.0 / epoch
            report = scripted_report(epoch)
            event = EpochEnd(
                epoch,
                self.epochs,
                1.0 / epoch,
                0.5 + 0.1 * epoch,
                val_loss,
                report.accuracy,
                0.01,
                0.2,
                report,
                is_best=True,
            )
            history.append(event)
            on_event(event)
        end = RunEnded(
            "finished",
            f"trained {self.epochs} epochs",
            "",
            self.epochs,
            1.0,
            history=tuple(history),
            best_val_accuracy=history[-1].val_accuracy,
        )
        on_event(end)
        return end


def run_drawn(app: TrainerApp) -> bool:
    """The current run ended, its events were read to the end and the Train tab drew all it got:
    what a test then reads from the plots and tables."""
    from tui_trainer.ui.tabs.train import TrainPane

    run = app.query_one(TrainPane).current
    return run is not None and run.done and not app.runs.running and dashboard_drawn(app)
