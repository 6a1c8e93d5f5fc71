"""The Runs tab, torch-free: why a saved run is damaged (a truncated checkpoint, a half-written event log), and a
table that fills the tab, fits its width and shows a column per differing setting."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path

import fakes
from fakes import FakeEngine, make_app
from helpers import experiment, wait_until
from saved_runs import saved_run
from textual.widgets import DataTable, Static

from tui_trainer.core.backend.thread import ThreadBackend
from tui_trainer.core.runs.writer import RunWriter
from tui_trainer.core.spec.events import RunEnded, RunStarted, RunStatus
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.dialogs import RunDetails
from tui_trainer.ui.tabs.runs import RunsPane


def nothing(request, *, on_event, should_stop):
    """A run function for a test that never trains."""


def damaged_run(root: Path) -> Path:
    """A stopped run whose last.pt was cut short and whose events.jsonl ends half-way through a line."""
    writer = RunWriter.create(root, load_preset("mlp"))
    writer.on_event(RunStarted("cpu", 123, 30, 10, 0, 2, 3, 16, ("a", "b"), (2,)))
    writer.on_event(RunEnded(RunStatus.STOPPED, "stopped by the user"))
    (writer.path / "last.pt").write_bytes(b"PK\x03\x04" + bytes(60))  # the start of a zip archive, and no end
    with (writer.path / "events.jsonl").open("ab") as log:
        log.write(b'{"time": 1.0, "type": "Epo')
    return writer.path


async def test_the_runs_tab_shows_damaged_checkpoints_and_event_logs(tmp_path: Path) -> None:
    run = damaged_run(tmp_path / "runs")
    app = TrainerApp(backend=ThreadBackend(run=nothing, devices=("auto", "cpu")), runs_dir=str(tmp_path / "runs"))
    notes: list[str] = []
    async with app.run_test(size=(160, 50)) as pilot:
        app.notify = lambda message, **options: notes.append(str(message))  # type: ignore[method-assign]
        await pilot.press("5")
        await wait_until(pilot, lambda: app.query_one("#runs-list", DataTable).row_count == 1, what="the listing")
        note = str(app.screen.query_one("#runs-note", Static).render())
        assert note.endswith("; 1 partly unreadable (see their status)"), note
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetails), what="the run's details")
        problem = next(line for line in app.screen.lines if line.startswith("problem: "))
        assert f"the checkpoint {run / 'last.pt'} is damaged or truncated and cannot be read" in problem
        assert f"{run / 'events.jsonl'} ends with a half-written line (26 bytes, never a whole event)" in problem
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunDetails), what="the details closed")
        await pilot.press("R")
        await wait_until(pilot, lambda: notes, what="the resume refusal")
        assert notes == ["This run has no whole checkpoint (last.pt) to resume from."]


async def test_the_runs_table_fills_the_tab_keeps_its_key_columns_and_shows_a_column_per_setting(
    tmp_path: Path,
) -> None:
    long_name = "csv:/home/student/data/a/very/long/folder/of/measurements.csv"
    for index in range(14):
        run = experiment(
            name="mlp",
            dataset=long_name if index == 3 else "moons",
            lr=0.01 * (index + 1),
            weight_decay=0.001 * index,
            schedule="cosine" if index % 2 else "none",
        )
        saved_run(tmp_path, run, epochs_done=2, when=datetime(2026, 3, 14, 9, 0) + timedelta(minutes=index))
    app = TrainerApp(backend=ThreadBackend(run=nothing, devices=("auto", "cpu")), runs_dir=str(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("5")
        pane = app.query_one(RunsPane)
        table = pane.table
        await wait_until(pilot, lambda: table.row_count == 14, what="the listing")
        assert table.size.height >= table.row_count + 1, "every run shows: the table fills the tab"
        labels = [str(c.label) for c in table.ordered_columns]
        ends = list(accumulate(c.get_render_width(table) for c in table.ordered_columns))
        visible = table.size.width - table.styles.scrollbar_size_vertical
        for key in ("date", "best val", "epochs", "time", "status"):
            assert key in labels and ends[labels.index(key)] <= visible, f"{key} is cut at 100 columns"
        assert ends[-1] <= visible, "the other columns were narrowed to fit"
        assert any(str(cell).endswith("…") for cell in table.get_column_at(labels.index("data"))), "a long name is cut"

        await pilot.press("c")
        labels = [str(c.label) for c in table.ordered_columns]
        assert labels[-3:] == ["lr", "weight_decay", "schedule"], labels
        assert "diff" not in [c.key.value for c in table.ordered_columns]
        assert [str(c) for c in table.get_column_at(labels.index("schedule"))][:2] == ["cosine", "none"]
        await pilot.press("c")
        assert table.ordered_columns[-1].key.value == "diff", "one column of what differs from the preset"

        await pilot.press("ctrl+end")
        assert table.cursor_row == 13
        await pilot.press("o")  # by best val: the best run first, at the top and selected
        assert pane.order == "best val" and table.cursor_row == 0 and table.scroll_y == 0
        assert pane.selected is pane.records[0]


async def test_the_runs_tab_lists_again_and_takes_the_focus_each_time_it_is_shown(tmp_path: Path) -> None:
    app = make_app(FakeEngine(), runs_dir=str(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(RunsPane)
        await pilot.press("5")
        await wait_until(pilot, lambda: str(pane.query_one("#runs-note", Static).render()).startswith("No runs in"))
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app))
        saved_run(tmp_path, experiment(name="mlp", dataset="moons"), epochs_done=2)  # written meanwhile
        await pilot.press("end", "5")  # a scroll animation on the Train tab as the tab changes
        await wait_until(pilot, lambda: len(pane.records) == 1, what="the folder listed again")
        await wait_until(pilot, lambda: app.focused is pane.table, what="the focus on the table")


async def test_a_run_that_overfit_says_so_in_both_runs_tables(tmp_path) -> None:
    """The writer records the overfitting the dashboard showed; `tui-trainer runs` and the Runs tab list it."""

    from fakes import make_app, scripted_report
    from helpers import wait_until
    from saved_runs import saved_run

    from tui_trainer.cli.report import runs_table
    from tui_trainer.core.runs import list_runs
    from tui_trainer.core.spec.events import EpochEnd, RunEnded, RunStatus
    from tui_trainer.core.spec.experiment import Experiment
    from tui_trainer.ui.widgets.saved_runs_table import SavedRunsTable

    root = tmp_path / "runs"
    experiment = Experiment().with_train(epochs=10)
    path, writer = saved_run(root, experiment, epochs_done=0, status=None)
    for epoch, val in enumerate([0.5, 0.4, 0.3, 0.32, 0.31, 0.36, 0.34, 0.45, 0.43, 0.6], start=1):
        report = scripted_report(min(epoch, 5))
        writer.on_event(EpochEnd(epoch, 10, 1.0 / epoch, 0.5, val, report.accuracy, 0.01, 0.2, report))
    writer.on_event(RunEnded(RunStatus.FINISHED, "trained 10 epochs", epochs_done=10))
    assert "finished, overfit@6" in runs_table(list_runs(root))
    app = make_app(runs_dir=str(root))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        table = app.query_one(SavedRunsTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the run listed")
        assert any("overfit@6" in str(cell) for cell in table.get_row_at(0))
