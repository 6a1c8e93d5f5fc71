"""The Runs tab shows why a saved run is damaged (a truncated checkpoint, a half-written event log), torch-free."""

from __future__ import annotations

from pathlib import Path

from helpers import wait_until
from textual.widgets import DataTable, Static

from tui_trainer.core.backend.thread import ThreadBackend
from tui_trainer.core.runs.writer import RunWriter
from tui_trainer.core.spec.events import RunEnded, RunStarted, RunStatus
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.dialogs import RunDetails


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
