"""A fake engine for the UI tests: scripted events, holding between batches, failures."""

from __future__ import annotations

import threading
import time

from tui_trainer.core.events import BatchEnd, EpochEnd, RunEnded, RunPhase, RunStarted
from tui_trainer.core.metrics import report_from_confusion

CLASSES = ("cat", "dog", "bird")


def scripted_report(epoch: int):
    """A deterministic 3-class report that improves with the epoch."""
    good = 6 + 2 * epoch
    return report_from_confusion([[good, 2, 1], [1, good, 3], [0, 4, good - 1]], CLASSES)


class FakeEngine:
    """Stands in for run_experiment: scripted events, optional holding between batches.

    `hold` (when set) keeps the engine waiting before each batch while still polling should_stop,
    so tests can pause, stop and retrain a run that is "in the middle" of training.
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
        self.hold = threading.Event()
        self.calls: list = []
        self.steps = 0

    def __call__(self, experiment, *, on_event, should_stop):
        self.calls.append(experiment)
        if self.crash:
            raise RuntimeError("boom")
        on_event(RunPhase("loading data"))
        on_event(RunStarted("cpu", 1234, 300, 60, 0, self.epochs, self.batches, 32, CLASSES, (2,)))
        history = []
        step = 0
        for epoch in range(1, self.epochs + 1):
            for batch in range(1, self.batches + 1):
                while self.hold.is_set() and not should_stop():
                    time.sleep(0.005)
                if should_stop():
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


async def wait_until(pilot, condition, timeout: float = 30.0) -> None:
    """Let the app run until condition() is true (fails the test after timeout seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)
