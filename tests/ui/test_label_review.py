"""The review queue: keep / relabel / drop by keyboard, label_overrides.json written, the settings loaded with it."""

from __future__ import annotations

import json
from pathlib import Path

from fakes import make_app
from helpers import experiment, wait_until
from labels_fixtures import reviewed_run, small_review
from saved_runs import saved_run

from tui_trainer.core.runs.review_file import write_review
from tui_trainer.core.spec.events import RunEnded, RunPhase
from tui_trainer.ui.screens.review import ReviewQueue
from tui_trainer.ui.tabs.runs import RunsPane


def queue_shown(app) -> bool:
    """The review queue is the screen, composed and drawn."""
    return isinstance(app.screen, ReviewQueue) and bool(app.screen.query("#review-sample"))


async def test_the_queue_writes_the_decisions_and_loads_the_settings_with_them(tmp_path):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        experiment = app.experiment.with_dataset("digits").with_data(label_noise=0.2)
        run_dir, review = reviewed_run(tmp_path, experiment)
        app.open_review(run_dir, experiment)
        await wait_until(pilot, lambda: queue_shown(app))
        queue = app.screen
        assert "sample 1 " in str(queue.query_one("#review-sample").render())
        await pilot.press("r")  # sample 1: relabelled to its suggestion (3)
        await pilot.press("d")  # sample 11: dropped
        await pilot.press("k")  # sample 21: kept
        await pilot.press("7")  # sample 31: relabelled to 7
        await pilot.press("left", "left")  # back to sample 21: kept -> relabelled to 0
        await pilot.press("0")
        assert queue.position == 3
        await pilot.press("w")
        await wait_until(pilot, lambda: not isinstance(app.screen, ReviewQueue))
        written = json.loads((run_dir / "label_overrides.json").read_text())
        assert written["relabel"] == {"1": 3, "21": 0, "31": 7}
        assert written["drop"] == [11]
        assert written["n_train"] == 100 and written["dataset"] == "digits"
        assert app.experiment.data.label_overrides == str(run_dir / "label_overrides.json")
        assert app.experiment.data.label_noise == 0.2  # the reviewed run's own settings, ready to retrain


async def test_escape_closes_without_writing_and_a_missing_review_says_how_to_make_one(tmp_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run_dir, _ = reviewed_run(tmp_path, app.experiment)
        app.open_review(run_dir, app.experiment)
        await wait_until(pilot, lambda: queue_shown(app))
        await pilot.press("d", "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ReviewQueue))
        assert not (run_dir / "label_overrides.json").exists()
        (run_dir / "review.json").unlink()
        app.open_review(run_dir, app.experiment)
        await pilot.pause()
        assert not isinstance(app.screen, ReviewQueue)
        assert any("has no review yet" in n.message for n in app._notifications)


async def test_l_on_the_runs_tab_reviews_where_training_runs_then_opens_the_queue(tmp_path):
    requests = []

    def reviewer(request, *, on_event, should_stop):
        """The training process's side, scripted: it gets the review request, reports progress, writes review.json."""
        requests.append(request)
        on_event(RunPhase("review fold 1/5: training on 80 samples, predicting 20"))
        write_review(request.review.run_dir, small_review(Path(request.review.run_dir)))
        end = RunEnded("finished", "review: 6 of 100 training labels flagged")
        on_event(end)
        return end

    app = make_app(reviewer, runs_dir=str(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        path, _ = saved_run(tmp_path, experiment(name="mlp", dataset="digits"), epochs_done=2)
        pane = app.query_one(RunsPane)
        await pilot.press("5")
        await wait_until(pilot, lambda: len(pane.records) == 1 and app.focused is pane.table)
        await pilot.press("L")
        await wait_until(pilot, lambda: queue_shown(app), what="the queue after the review")
        assert [r.review.run_dir for r in requests] == [str(path)]
        assert requests[0].review.folds == 5 and requests[0].experiment is None
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ReviewQueue))
        await pilot.press("5", "L")  # reviewed: the queue opens at once, nothing is trained again
        await wait_until(pilot, lambda: queue_shown(app))
        assert len(requests) == 1
