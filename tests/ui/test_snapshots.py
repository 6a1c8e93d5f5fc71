"""Snapshots of every tab at 80x24 and 120x40, the Train tab also at 100x30 and 160x45 (pytest-textual-snapshot)."""

from __future__ import annotations

import pytest
from fakes import FakeEngine, make_app
from helpers import dashboard_drawn, tables_settled, wait_until
from textual.widgets import Input

from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.tabs.help import HelpPane
from tui_trainer.ui.tabs.hparams import HparamsPane
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.preview import DatasetPreview

SIZES = [(80, 24), (120, 40)]
TRAIN_SIZES = [(80, 24), (100, 30), (120, 40), (160, 45)]
"""The Train tab at the SSH default, a common laptop terminal, and two wide ones (docs: the glance fits each)."""


def snapshot_app() -> TrainerApp:
    return make_app(FakeEngine(epochs=4, val_losses=[0.9, 0.7, 0.75, 0.8]))


def settled(app: TrainerApp) -> bool:
    """The deferred forms (and the help text, once shown) are mounted, the preview is drawn and the Train
    tab drew all it was given."""
    help_text = app.query("#help-text")  # mounted when the Help tab is first shown
    return (
        bool(app.query("#data-form"))
        and app.query_one(HparamsPane).form is not None
        and app.query_one(DatasetPreview).data is not None
        and dashboard_drawn(app)
        and tables_settled(app)
        and (not app.query_one(HelpPane).loaded or bool(help_text and help_text.first().children))
    )


async def settle(pilot) -> None:
    """Wait for workers (dataset preview), the deferred forms and the capped redraws."""
    await pilot.app.workers.wait_for_complete()
    await wait_until(pilot, lambda: settled(pilot.app))
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("key", ["1", "2", "3", "question_mark"], ids=["data", "model", "hparams", "help"])
def test_tab(snap_compare, key: str, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(snapshot_app(), terminal_size=size, run_before=run_before)


def scripted_events(engine: FakeEngine, experiment) -> list:
    """The events a fake run emits, collected synchronously (no thread timing in snapshots)."""
    events: list = []
    engine(RunRequest(experiment, runs_dir=None), on_event=events.append, should_stop=lambda: False)
    return events


@pytest.mark.parametrize("size", TRAIN_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_train_tab_after_two_runs(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        pane = app.query_one(TrainPane)
        await settle(pilot)
        await pilot.press("4")
        first = app.experiment
        second = first.with_train(lr=0.01)
        for run_id, (experiment, val_losses) in enumerate(
            [(first, [0.9, 0.7, 0.6, 0.55]), (second, [0.9, 0.7, 0.75, 0.8])], start=1
        ):
            pane.begin_run(experiment, run_id)
            for event in scripted_events(FakeEngine(epochs=4, val_losses=val_losses), experiment):
                pane.handle_event(event)
        await settle(pilot)

    assert snap_compare(snapshot_app(), terminal_size=size, run_before=run_before)


def test_model_tab_with_an_invalid_stack(snap_compare) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        app.set_experiment(
            app.experiment.replace_layers([layer for layer in app.experiment.layers if layer.type != "Flatten"])
        )
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=run_before)
