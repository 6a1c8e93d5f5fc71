"""Saved runs in the app: the Runs tab (open, overlay, load, delete), attaching to a run another
thread writes, and resuming a stopped run — with the real engine on tiny offline data."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tui_trainer.core.engine import run_experiment
from tui_trainer.core.presets import load_preset
from tui_trainer.core.runs import RunWriter, list_runs
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.runs import RunsPane
from tui_trainer.ui.screens.train import TrainPane
from tui_trainer.ui.widgets.curves import CurvePlot
from tui_trainer.ui.widgets.dialogs import Confirm, RunDetails


def small_experiment(epochs: int = 2, lr: float = 0.05):
    """The mlp preset on 300 moons: a run takes well under a second."""
    return load_preset("mlp").with_data(name="moons", n_samples=300).with_train(epochs=epochs, threads=1, lr=lr)


def write_run(root: Path, experiment, *, stop_after_epoch: int | None = None, pause_s: float = 0.0) -> Path:
    """Train and save one run under root (optionally stopping after an epoch, or slowed per epoch)."""
    from tui_trainer.core.events import EpochEnd

    writer = RunWriter.create(root, experiment)
    epochs_seen = []

    def on_event(event) -> None:
        if isinstance(event, EpochEnd):
            epochs_seen.append(event.epoch)
            time.sleep(pause_s)

    def should_stop() -> bool:
        return stop_after_epoch is not None and len(epochs_seen) >= stop_after_epoch

    try:
        run_experiment(
            experiment, on_event=writer.wrap(on_event), should_stop=should_stop, checkpoint=writer.checkpoint
        )
    finally:
        writer.close()
    return writer.path


async def wait_for(pilot, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.05)


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    write_run(tmp_path, small_experiment(epochs=2, lr=0.05))
    time.sleep(1.1)  # run directories are named by the second
    write_run(tmp_path, small_experiment(epochs=3, lr=0.2))
    return tmp_path


async def test_runs_tab_lists_opens_overlays_loads_and_deletes(runs_root: Path) -> None:
    app = TrainerApp(probe_devices=False, runs_dir=runs_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        pane = app.query_one(RunsPane)
        await wait_for(pilot, lambda: len(pane.records) == 2)
        table = app.query_one("#runs-list", DataTable)
        assert table.row_count == 2
        newest = pane.records[0]
        assert newest.experiment.train.lr == 0.2  # newest first
        assert "lr 0.2" in str(table.get_row_at(0)[4])

        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, RunDetails) and app.screen.report is not None
        await pilot.press("escape")

        await pilot.press("space")
        assert str(newest.path) in app.overlays
        await pilot.press("4")
        await pilot.pause(0.4)
        labels = [c.label for c in app.query_one("#loss-plot", CurvePlot)._curves]
        assert any(label.startswith("mlp") for label in labels), labels

        await pilot.press("5")
        await pilot.press("l")
        assert app.experiment == newest.experiment

        await pilot.press("d")
        await pilot.pause(0.1)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await wait_for(pilot, lambda: len(pane.records) == 1)
        assert not newest.path.exists()
        assert str(newest.path) not in app.overlays


async def test_attach_follows_a_run_that_another_thread_writes(tmp_path: Path) -> None:
    experiment = small_experiment(epochs=4)
    writer_thread = threading.Thread(target=write_run, args=(tmp_path, experiment), kwargs={"pause_s": 0.3})
    writer_thread.start()
    try:
        deadline = time.monotonic() + 30
        while not (list(tmp_path.glob("*/events.jsonl"))):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        run_dir = next(tmp_path.iterdir())
        app = TrainerApp(probe_devices=False, runs_dir=tmp_path, watch=run_dir, experiment=experiment)
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.query_one(TrainPane)
            await wait_for(pilot, lambda: pane.current is not None and pane.current.done)
            assert pane.current.status == "finished"
            assert [e.epoch for e in pane.current.epochs] == [1, 2, 3, 4]
            assert pane.current.started is not None
    finally:
        writer_thread.join()


async def test_resume_a_stopped_run_from_the_runs_tab(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, small_experiment(epochs=3), stop_after_epoch=1)
    assert list_runs(tmp_path)[0].status == "stopped"
    app = TrainerApp(probe_devices=False, runs_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        pane = app.query_one(RunsPane)
        await wait_for(pilot, lambda: len(pane.records) == 1)
        await pilot.press("R")
        train = app.query_one(TrainPane)
        await wait_for(pilot, lambda: train.current is not None and train.current.done)
        assert train.current.status == "finished", train.current.reason
        assert [e.epoch for e in train.current.epochs] == [2, 3]
    record = list_runs(tmp_path)[0]
    assert record.path == run_dir and record.status == "finished" and record.epochs_done == 3
