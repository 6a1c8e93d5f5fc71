"""The Train tab's keys that change the learning rate of the run in flight: [ halves, ] doubles, l asks."""

from __future__ import annotations

import threading

from fakes import CLASSES, make_app, scripted_report
from helpers import wait_until
from textual.widgets import Input

from tui_trainer.core.spec.events import BatchEnd, EpochEnd, LrChanged, RunEnded, RunStarted
from tui_trainer.ui.screens.dialogs import AskText
from tui_trainer.ui.tabs.train import TrainPane


class LrEngine:
    """A run of one epoch of many batches that applies take_lr() as the engine does; each batch waits for
    `go` (set by the test), so the test knows which batch a change lands on."""

    def __init__(self, batches: int = 50) -> None:
        self.batches = batches
        self.go = threading.Semaphore(0)
        self.at_batch = 0

    def __call__(self, request, *, on_event, should_stop):
        lr = 0.1
        on_event(RunStarted("cpu", 10, 100, 20, 0, 1, self.batches, 2, CLASSES, (2,)))
        for batch in range(1, self.batches + 1):
            while not self.go.acquire(timeout=0.01):
                if should_stop():
                    end = RunEnded("stopped", "stopped by the user")
                    on_event(end)
                    return end
            if should_stop():
                break
            new = should_stop.take_lr()
            if new is not None:
                on_event(LrChanged(1, batch, batch - 1, lr, new))
                lr = new
            self.at_batch = batch
            on_event(BatchEnd(1, batch, self.batches, batch, 1.0, lr, 100.0, 0.1 * batch))
        report = scripted_report(1)
        history = (EpochEnd(1, 1, 1.0, 0.5, 1.0, report.accuracy, lr, 1.0, report),)
        on_event(history[0])
        end = RunEnded("finished", "trained 1 epochs", epochs_done=1, history=history)
        on_event(end)
        return end


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def step(pilot, engine: LrEngine) -> None:
    """Let one batch through and wait until the Train tab has it."""
    before = engine.at_batch
    engine.go.release()
    pane = pilot.app.query_one(TrainPane)
    await wait_until(pilot, lambda: pane.current.last_batch is not None and pane.current.last_batch.batch == before + 1)


async def test_keys_halve_double_and_ask_for_the_rate() -> None:
    engine = LrEngine()
    app = make_app(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "s")
        pane = app.query_one(TrainPane)
        await wait_until(pilot, lambda: pane.current is not None and pane.current.started is not None)
        await step(pilot, engine)
        await pilot.press("left_square_bracket")  # halve: 0.1 -> 0.05 from the next batch
        await wait_until(pilot, lambda: "learning rate 0.05 from the next batch" in messages(app))
        await pilot.press("left_square_bracket")  # halved again before it landed: from the asked 0.05
        await step(pilot, engine)
        run = pane.current
        assert [(c.batch, c.old_lr, c.lr) for c in run.lr_changes] == [(2, 0.1, 0.025)]
        assert run.last_batch.lr == 0.025
        await pilot.press("right_square_bracket")  # double: 0.025 -> 0.05
        await step(pilot, engine)
        assert run.lr_changes[-1].lr == 0.05
        assert any("0.025 -> 0.05 from epoch 1, batch 3" in m for m in messages(app))

        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, AskText))
        field = app.screen.query_one(Input)
        for bad, words in [("abc", "must be a number"), ("-1", "greater than 0")]:
            field.value = bad
            await pilot.press("enter")
            await wait_until(pilot, lambda w=words: w in str(app.screen.query_one("#answer-error").render()))
            assert isinstance(app.screen, AskText)  # stays open, the text kept
            assert field.value == bad
        field.value = "0.2"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, AskText))
        await step(pilot, engine)
        assert run.lr_changes[-1].lr == 0.2
        assert pane.query_one("#lr-plot")._curves[-1].label == "by hand"
        app.runs.stop_run()
        await wait_until(pilot, lambda: not app.runs.running)
        await pilot.press("right_square_bracket")  # no run: said, nothing sent
        await wait_until(pilot, lambda: any("no run is training" in m for m in messages(app)))
