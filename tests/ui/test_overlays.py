"""Overlaid saved runs: only runs on the Train tab's dataset are drawn, clipped to the current run's epochs, and the
app says why one is not drawn."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import fakes
from fakes import FakeEngine, make_app
from helpers import dashboard_drawn, experiment, wait_until
from saved_runs import saved_run

from tui_trainer.ui.overlays import OVERLAY_MIN_EPOCHS
from tui_trainer.ui.tabs.runs import DRAWN, RunsPane
from tui_trainer.ui.widgets.curves import CurvePlot
from tui_trainer.ui.widgets.runs_table import RunsTable

LONG_MOONS = experiment(name="mlp", dataset="moons", epochs=60)
SHORT_IRIS = experiment(name="mlp", dataset="iris", epochs=12)


def curves(app, plot: str) -> dict[str, list[float]]:
    """The xs of each curve of a plot, by label."""
    return {c.label: list(c.xs) for c in app.query_one(plot, CurvePlot)._curves}


async def test_only_comparable_runs_are_overlaid_within_the_current_runs_epochs(tmp_path: Path) -> None:
    moons_dir, _ = saved_run(tmp_path, LONG_MOONS, epochs_done=60, when=datetime(2026, 3, 14, 10, 0))
    saved_run(tmp_path, SHORT_IRIS, epochs_done=12, when=datetime(2026, 3, 14, 9, 0))
    app = make_app(FakeEngine(epochs=3), preset="mlp", runs_dir=str(tmp_path))
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify = lambda message, **options: notes.append(str(message))  # type: ignore[method-assign]
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app))
        assert app.query_one(RunsTable).row_count == 1  # the session's run, on moons, 3 epochs

        await pilot.press("5")
        pane = app.query_one(RunsPane)
        await wait_until(pilot, lambda: len(pane.records) == 2, what="the listing")
        await pilot.press("down", "space")  # the iris run
        assert notes == [
            "Not overlaid: mlp 09:00 trained on iris, the Train tab's run on moons: overlays need the same dataset."
        ]
        assert app.runs.overlays == {}
        await pilot.press("up", "space")  # the 60-epoch moons run
        assert list(app.runs.overlays) == [str(moons_dir)]
        assert str(pane.table.get_row_at(0)[0]) == DRAWN

        await pilot.press("4")
        await wait_until(pilot, lambda: dashboard_drawn(app))
        clipped = f"mlp 10:00 (to epoch {OVERLAY_MIN_EPOCHS} of 60)"
        for plot in ("#loss-plot", "#acc-plot"):
            drawn = curves(app, plot)
            assert drawn[clipped] == [float(e) for e in range(1, OVERLAY_MIN_EPOCHS + 1)], plot
            assert drawn["val"] == [1, 2, 3], "the current run keeps the plot"

        # A run on another dataset: the moons overlay is not drawn, and the app says why.
        app.select_dataset("iris")
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app) and app.query_one(RunsTable).row_count == 2)
        assert notes[-1] == (
            "The overlaid runs on moons are not drawn: this run trains on iris (overlays need the same dataset)."
        )
        labels = set(curves(app, "#loss-plot"))
        assert not any(label.startswith("mlp 10:00") for label in labels), labels
        assert "run 1 val" not in labels, "the previous run of this session trained on moons"
