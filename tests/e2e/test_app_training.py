"""A real training run through the app: small offline data, one epoch, the real engine."""

from __future__ import annotations

import os
import time

import pytest
from textual.widgets import Static

from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.train import TrainPane
from tui_trainer.ui.widgets.confusion import ConfusionMatrix
from tui_trainer.ui.widgets.curves import CurvePlot


@pytest.mark.parametrize("train_in", ["process", "thread"])
async def test_real_training_fills_the_dashboard(tmp_path, train_in) -> None:
    app = TrainerApp(dataset="moons", preset="mlp", probe_devices=False, runs_dir=tmp_path, train_in=train_in)
    child = None
    async with app.run_test(size=(120, 40)) as pilot:
        app.set_experiment(app.experiment.with_train(epochs=2, threads=1))
        await pilot.press("s")
        pane = app.query_one(TrainPane)
        deadline = time.monotonic() + 60
        while not (pane.current and pane.current.done):
            assert time.monotonic() < deadline, "the real run did not end in 60 s"
            await pilot.pause(0.05)
        await pilot.pause(0.4)
        run = pane.current
        assert run.status == "finished", run.reason
        assert len(run.epochs) == 2 and run.epochs[-1].val_accuracy > 0.6
        matrix = app.query_one(ConfusionMatrix)
        assert matrix.row_count == 2
        assert sum(sum(row) for row in matrix.report.confusion) == 200  # 20 % of 1,000 moons
        loss = app.query_one("#loss-plot", CurvePlot)
        assert any(c.label == "val" and len(c.xs) == 2 for c in loss._curves)
        assert str(app.query_one("#status", Static).render()).startswith("finished")
        if train_in == "process":
            child = app.trainer_process.pid
            assert child is not None and child != os.getpid()
        else:
            assert app.trainer_process is None
        await pilot.press("q")
    if child is not None:  # quitting the app ends its training process
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    saved = list(tmp_path.iterdir())
    assert len(saved) == 1 and (saved[0] / "last.pt").exists() and (saved[0] / "summary.json").exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # reaped or a zombie: gone
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return True
