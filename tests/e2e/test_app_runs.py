"""Saved runs in the app: the Runs tab (open, overlay, load, delete), attaching to a run another
thread writes, and resuming a stopped run — with the real engine on tiny offline data."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import dashboard_drawn, wait_for, wait_until
from textual.widgets import DataTable

from tui_trainer.core.pipeline.execute import execute
from tui_trainer.core.pipeline.prepare import PreparedRun, prepare
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.runs import RunWriter, list_runs
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.dialogs import Confirm, RunDetails
from tui_trainer.ui.tabs.runs import RunsPane
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.curves import CurvePlot

WHEN = datetime(2026, 3, 14, 15, 9, 26)
"""When the first run written here was created (later ones: a second apart, so newest-first is known)."""


def small_experiment(epochs: int = 2, lr: float = 0.05):
    """The mlp preset on 300 moons: a run takes well under a second."""
    return load_preset("mlp").with_data(name="moons", n_samples=300).with_train(epochs=epochs, threads=1, lr=lr)


def write_run(
    root: Path,
    experiment,
    *,
    when: datetime = WHEN,
    stop_after_epoch: int | None = None,
    hold_after_epoch: tuple[int, threading.Event] | None = None,
) -> Path:
    """Train and save one run under root, its directory created at `when` (optionally stopping after an
    epoch, or holding after one until an event is set)."""
    from tui_trainer.core.spec.events import EpochEnd

    prepared = prepare(RunRequest(experiment, runs_dir=None))
    assert isinstance(prepared, PreparedRun), prepared
    writer = RunWriter.create(root, experiment, when=when)
    epochs_seen = []

    def on_event(event) -> None:
        if isinstance(event, EpochEnd):
            epochs_seen.append(event.epoch)
            if hold_after_epoch is not None and event.epoch == hold_after_epoch[0]:
                assert hold_after_epoch[1].wait(120), "the test never let the run go on"

    def should_stop() -> bool:
        return stop_after_epoch is not None and len(epochs_seen) >= stop_after_epoch

    execute(dataclasses.replace(prepared, writer=writer), on_event=on_event, should_stop=should_stop)
    return writer.path


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    write_run(tmp_path, small_experiment(epochs=2, lr=0.05), when=WHEN)
    write_run(tmp_path, small_experiment(epochs=3, lr=0.2), when=WHEN + timedelta(seconds=1))
    return tmp_path


@pytest.mark.process  # the app's default backend: the warm training process
async def test_runs_tab_lists_opens_overlays_loads_and_deletes(runs_root: Path) -> None:
    app = TrainerApp(runs_dir=runs_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        pane = app.query_one(RunsPane)
        await wait_until(pilot, lambda: len(pane.records) == 2)
        table = app.query_one("#runs-list", DataTable)
        assert table.row_count == 2
        newest = pane.records[0]
        assert newest.experiment.train.lr == 0.2  # newest first
        assert "lr 0.2" in str(table.get_row_at(0)[-1])

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetails))
        assert isinstance(app.screen, RunDetails) and app.screen.report is not None
        await pilot.press("escape")

        await pilot.press("space")
        assert str(newest.path) in app.runs.overlays
        await pilot.press("4")
        await wait_until(pilot, lambda: dashboard_drawn(app))
        labels = [c.label for c in app.query_one("#loss-plot", CurvePlot)._curves]
        assert any(label.startswith("mlp") for label in labels), labels

        await pilot.press("5")
        await pilot.press("l")
        assert app.experiment == newest.experiment

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(pane.records) == 1)
        assert not newest.path.exists()
        assert str(newest.path) not in app.runs.overlays


@pytest.mark.process
async def test_attach_follows_a_run_that_another_thread_writes(tmp_path: Path) -> None:
    experiment = small_experiment(epochs=4)
    go_on = threading.Event()
    writer_thread = threading.Thread(
        target=write_run, args=(tmp_path, experiment), kwargs={"hold_after_epoch": (1, go_on)}
    )
    writer_thread.start()
    try:
        wait_for(lambda: list(tmp_path.glob("*/events.jsonl")), what="the run directory")
        run_dir = next(tmp_path.iterdir())
        app = TrainerApp(runs_dir=tmp_path, watch=run_dir, experiment=experiment)
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.query_one(TrainPane)
            # Attached while the run is held after its first epoch: the app follows it as it goes on.
            await wait_until(pilot, lambda: pane.current is not None and len(pane.current.epochs) == 1)
            assert not pane.current.done
            go_on.set()
            await wait_until(pilot, lambda: pane.current.done)
            assert pane.current.status == "finished"
            assert [e.epoch for e in pane.current.epochs] == [1, 2, 3, 4]
            assert pane.current.started is not None
    finally:
        go_on.set()
        writer_thread.join()


@pytest.mark.process
async def test_resume_a_stopped_run_from_the_runs_tab(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, small_experiment(epochs=3), stop_after_epoch=1)
    assert list_runs(tmp_path)[0].status == "stopped"
    app = TrainerApp(runs_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        pane = app.query_one(RunsPane)
        await wait_until(pilot, lambda: len(pane.records) == 1)
        await pilot.press("R")
        train = app.query_one(TrainPane)
        await wait_until(pilot, lambda: train.current is not None and train.current.done)
        assert train.current.status == "finished", train.current.reason
        assert [e.epoch for e in train.current.epochs] == [2, 3]
    record = list_runs(tmp_path)[0]
    assert record.path == run_dir and record.status == "finished" and record.epochs_done == 3
