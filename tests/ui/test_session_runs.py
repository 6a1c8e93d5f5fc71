"""The session's runs: each compared with the run before it (layer edits by name); resumed runs count their earlier
epochs, r after R retrains the resumed run's experiment, and + trains a finished run more epochs."""

from __future__ import annotations

from pathlib import Path

import fakes
from fakes import CLASSES, FakeEngine, make_app
from helpers import experiment, wait_until
from saved_runs import epoch_end, saved_run
from textual.widgets import Input

from tui_trainer.core.spec.events import RunEnded, RunStarted, RunStatus
from tui_trainer.core.spec.experiment import LayerSpec
from tui_trainer.ui.screens.dialogs import AskText
from tui_trainer.ui.tabs.runs import RunsPane
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.runs_table import RunsTable

SAVED = experiment(name="mlp", dataset="moons", epochs=10)


class ResumingEngine:
    """A run function that continues a resumed run after its saved epochs (as the engine does: RunStarted's
    start_epoch, and RunEnded counting every epoch), and trains a new run from epoch 1; it records the requests."""

    def __init__(self, saved_epochs: int) -> None:
        self.saved_epochs = saved_epochs
        self.requests: list = []

    def __call__(self, request, *, on_event, should_stop) -> RunEnded:
        self.requests.append(request)
        epochs = (request.experiment or SAVED).train.epochs
        first = self.saved_epochs + 1 if request.resume else 1
        on_event(RunStarted("cpu", 1234, 300, 60, 0, epochs, 2, 32, CLASSES, (2,), start_epoch=first))
        for epoch in range(first, epochs + 1):
            on_event(epoch_end(epoch, epochs))
        end = RunEnded(RunStatus.FINISHED, f"trained {epochs} epochs", epochs_done=epochs)
        on_event(end)
        return end


def last_cells(app) -> list[str]:
    """The session table's last row."""
    table = app.query_one(RunsTable)
    return [str(c) for c in table.get_row_at(table.row_count - 1)]


async def test_each_run_is_compared_with_the_run_before_and_layer_edits_are_named() -> None:
    app = make_app(FakeEngine(epochs=1, batches=1), preset="mlp")
    async with app.run_test(size=(160, 40)) as pilot:
        pane = app.query_one(TrainPane)
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app))
        layers = list(app.experiment.layers)
        assert layers[2].type == "ReLU"
        app.set_experiment(app.experiment.replace_layers([*layers[:2], LayerSpec("Step"), *layers[3:]]))
        await pilot.press("r")
        await wait_until(pilot, lambda: len(pane.runs) == 2 and fakes.run_drawn(app))
        app.set_experiment(app.experiment.with_train(lr=0.123))
        await pilot.press("r")
        await wait_until(pilot, lambda: len(pane.runs) == 3 and fakes.run_drawn(app))
        table = app.query_one(RunsTable)
        await wait_until(pilot, lambda: table.row_count == 3)
        assert [str(table.get_row_at(i)[-1]) for i in range(3)] == ["(first run)", "layer 3 ReLU -> Step", "lr 0.123"]


async def test_a_resumed_run_counts_all_its_epochs_and_r_retrains_its_experiment(tmp_path: Path) -> None:
    saved_dir, _ = saved_run(tmp_path, SAVED, epochs_done=6, status=RunStatus.STOPPED)
    engine = ResumingEngine(saved_epochs=6)
    app = make_app(engine, runs_dir=str(tmp_path))  # the editors: lenet5 on digits28
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify = lambda message, **options: notes.append(str(message))  # type: ignore[method-assign]
        pane = app.query_one(TrainPane)
        await pilot.press("5")
        await wait_until(pilot, lambda: len(app.query_one(RunsPane).records) == 1, what="the listing")
        await pilot.press("R")
        await wait_until(pilot, lambda: fakes.run_drawn(app) and app.query_one(RunsTable).row_count == 1)
        assert engine.requests[0].resume == str(saved_dir)
        assert last_cells(app)[6] == "10", "6 saved epochs + 4 resumed"

        await pilot.press("r")
        await wait_until(pilot, lambda: len(pane.runs) == 2 and fakes.run_drawn(app))
        assert notes[-1].startswith("r trains the resumed run's experiment again (mlp on moons)"), notes
        retrained = engine.requests[1]
        assert retrained.resume is None and retrained.experiment == SAVED, "not the editors' lenet5 on digits28"
        await pilot.press("r")  # again: still the resumed run's experiment while the editors are untouched
        await wait_until(pilot, lambda: len(pane.runs) == 3 and fakes.run_drawn(app))
        assert engine.requests[2].experiment == SAVED

        app.set_experiment(app.experiment.with_train(lr=0.01))  # an edit: r trains the editors again
        await pilot.press("r")
        await wait_until(pilot, lambda: len(pane.runs) == 4 and fakes.run_drawn(app))
        assert engine.requests[3].experiment == app.experiment and app.experiment.data.name == "digits28"


async def test_plus_trains_a_finished_run_more_epochs(tmp_path: Path) -> None:
    saved_dir, _ = saved_run(tmp_path, SAVED, epochs_done=10, status=RunStatus.FINISHED)
    engine = ResumingEngine(saved_epochs=10)
    app = make_app(engine, runs_dir=str(tmp_path))
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify = lambda message, **options: notes.append(str(message))  # type: ignore[method-assign]
        await pilot.press("5")
        await wait_until(pilot, lambda: len(app.query_one(RunsPane).records) == 1, what="the listing")
        await pilot.press("R")
        assert notes == ["This run is finished: + trains it more epochs (R resumes stopped or interrupted runs)."]

        await pilot.press("plus")
        await wait_until(pilot, lambda: isinstance(app.screen, AskText), what="the question")
        assert "It has trained 10 of 10" in app.screen.question
        app.screen.query_one(Input).value = "none"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(notes) == 2, what="the refusal")
        assert notes[1] == "More epochs: type a whole number of epochs above 0, not 'none'."
        assert engine.requests == []

        await pilot.press("plus")
        await wait_until(pilot, lambda: isinstance(app.screen, AskText), what="the question")
        app.screen.query_one(Input).value = "5"
        await pilot.press("enter")
        await wait_until(pilot, lambda: fakes.run_drawn(app) and app.query_one(RunsTable).row_count == 1)
        (request,) = engine.requests
        assert request.resume == str(saved_dir) and request.experiment == SAVED.with_train(epochs=15)
        assert last_cells(app)[6] == "15"
