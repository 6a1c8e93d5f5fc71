"""Following a run another process trains (watch, attach): p/x/r say what they cannot do, x stops following and the
run keeps its true status, and the replay keeps every batch point of the log."""

from __future__ import annotations

import os
from pathlib import Path

from fakes import FakeEngine, make_app
from helpers import experiment, wait_until
from saved_runs import BATCHES, epoch_end, trained_by_this_process
from textual.widgets import Static

from tui_trainer.core.runs import load_run
from tui_trainer.core.spec.events import BatchEnd, RunEnded, RunStatus
from tui_trainer.ui.run_history import format_duration
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.runs_table import RunsTable

FOLLOWED = experiment(name="mlp", dataset="moons", epochs=50)


def status_line(app) -> str:
    return str(app.query_one("#status", Static).render())


async def test_keys_on_a_followed_run_say_they_cannot_act_and_x_leaves_it_running(tmp_path: Path) -> None:
    run_dir, writer, lock = trained_by_this_process(tmp_path, FOLLOWED, epochs_done=2, seconds=65.0, batch_points=3)
    engine = FakeEngine()
    app = make_app(engine, runs_dir=str(tmp_path), watch=run_dir, experiment=FOLLOWED)
    notes: list[str] = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            app.notify = lambda message, **options: notes.append(str(message))  # type: ignore[method-assign]
            pane = app.query_one(TrainPane)
            await wait_until(pilot, lambda: pane.current is not None and len(pane.current.epochs) == 2)
            refusal = f"this run is trained by process {os.getpid()}: p/x/r act only on runs this app trains; x stops following"
            await pilot.press("p")
            await wait_until(pilot, lambda: notes, what="the pause refusal")
            assert notes == [refusal]
            assert not app.runs.paused and not status_line(app).startswith("paused")
            await pilot.press("r")
            await wait_until(pilot, lambda: len(notes) == 2, what="the retrain refusal")
            assert notes[1] == refusal and engine.calls == [], "r must not train next to the followed run"

            # The followed run goes on: the app follows its next epoch.
            writer.on_event(epoch_end(3, FOLLOWED.train.epochs))
            await wait_until(pilot, lambda: len(pane.current.epochs) == 3, what="the followed epoch")

            await pilot.press("x")
            await wait_until(pilot, lambda: pane.current.done and not app.runs.running, what="following ended")
            assert status_line(app).startswith(
                f"running: not following any more; the run goes on in process {os.getpid()}"
            ), status_line(app)
            record = load_run(run_dir)
            assert record.status == RunStatus.RUNNING
            table = app.query_one(RunsTable)
            await wait_until(pilot, lambda: table.row_count == 1)
            cells = [str(c) for c in table.get_row_at(0)]
            assert cells[1] == "running" and cells[6] == "3"
            assert record.seconds is not None and record.seconds >= 65.0
            assert cells[7] == format_duration(record.seconds), "the time its files tell"
    finally:
        writer.on_event(RunEnded(RunStatus.STOPPED, "the test is over", epochs_done=3))
        lock.release()


async def test_the_replay_keeps_the_batch_points_of_the_first_epoch(tmp_path: Path) -> None:
    run_dir, writer, lock = trained_by_this_process(tmp_path, FOLLOWED, epochs_done=3, batch_points=BATCHES)
    writer.on_event(RunEnded(RunStatus.FINISHED, "trained for the test", epochs_done=3))
    lock.release()
    logged = [line for line in (run_dir / "events.jsonl").read_text().splitlines() if '"BatchEnd"' in line]
    assert len(logged) == 3 * BATCHES
    app = make_app(FakeEngine(), runs_dir=str(tmp_path), watch=run_dir, experiment=FOLLOWED)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TrainPane)
        await wait_until(pilot, lambda: pane.current is not None and pane.current.done)
        xs = pane.current.batch_loss.xs
        assert len(xs) == 3 * BATCHES, "no replayed batch point is dropped as stale progress"
        assert xs[0] == 1 / BATCHES, "the curve starts in epoch 1"
        assert isinstance(pane.current.last_batch, BatchEnd)
