"""A real training run through the app: small offline data, one epoch, the real engine."""

from __future__ import annotations

import os

import pytest
from helpers import dashboard_drawn, wait_for, wait_until
from textual.widgets import Static

from tui_trainer.core.backend import open_backend
from tui_trainer.core.backend.thread import ThreadBackend
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.confusion import ConfusionMatrix
from tui_trainer.ui.widgets.curves import CurvePlot


@pytest.mark.parametrize("train_in", [pytest.param("process", marks=pytest.mark.process), "thread"])
async def test_real_training_fills_the_dashboard(tmp_path, train_in) -> None:
    app = TrainerApp(backend=open_backend(train_in), dataset="moons", preset="mlp", runs_dir=tmp_path)
    child = None
    async with app.run_test(size=(120, 40)) as pilot:
        app.set_experiment(app.experiment.with_train(epochs=2, threads=1))
        await pilot.press("s")
        pane = app.query_one(TrainPane)
        await wait_until(
            pilot,
            lambda: pane.current and pane.current.done and not app.runs.running and dashboard_drawn(app),
            what="the end of the real run, drawn",
        )
        run = pane.current
        assert run.status == "finished", run.reason
        assert len(run.epochs) == 2 and run.epochs[-1].val_accuracy > 0.6
        matrix = app.query_one(ConfusionMatrix)
        assert len(matrix.report.class_names) == 2 and str(matrix.render()).count("\n") == 2  # header, 2 rows
        assert sum(sum(row) for row in matrix.report.confusion) == 200  # 20 % of 1,000 moons
        loss = app.query_one("#loss-plot", CurvePlot)
        assert any(c.label == "val" and len(c.xs) == 2 for c in loss._curves)
        assert str(app.query_one("#status", Static).render()).startswith("finished")
        if train_in == "process":
            child = app.backend.pid
            assert child is not None and child != os.getpid()
        else:
            assert isinstance(app.backend, ThreadBackend)
        # the q binding's action (pressing q through the pilot can wait forever for an animation the closing
        # app never finishes: a test-harness race, not the app's)
        await app.run_action("quit")
    if child is not None:  # quitting the app ends its training process (the timeout: a hang guard only)
        wait_for(lambda: not _alive(child), timeout=30, what="the training process gone")
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
