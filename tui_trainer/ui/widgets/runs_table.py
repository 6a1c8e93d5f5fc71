"""This session's runs: status, best validation accuracy, epochs, time, and what each run changed from the one before."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui_trainer.core.spec.compare import settings_diff
from tui_trainer.ui.run_history import RunHistory, format_duration

COLUMNS = ("#", "status", "data", "preset", "params", "best val", "epochs", "time", "differs from the run before")


def run_seconds(run: RunHistory) -> float | None:
    """The run's time: as it ended, else its training time so far (None before its first batch)."""
    if run.ended is not None:
        return run.ended.seconds
    return run.last_batch.elapsed_s if run.last_batch else None


def change_from_previous(runs: list[RunHistory], index: int) -> str:
    """What run `index` changed from the run before it ("lr 0.1, layer 3 ReLU -> Step")."""
    if index == 0:
        return "(first run)"
    return ", ".join(settings_diff(runs[index - 1].experiment, runs[index].experiment)) or "(same settings)"


class RunsTable(DataTable):
    """One row per run of this session, newest last; each run's settings compared with the run before it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for label in COLUMNS:
            self.add_column(label, key=label)

    def show(self, runs: list[RunHistory]) -> None:
        """Redraw all rows."""
        self.clear()
        for index, run in enumerate(runs):
            best = run.best_val_accuracy
            self.add_row(  # Text cells: a str cell is read as markup, and dataset and preset names are the user's
                Text(str(run.run_id), justify="right"),
                Text(run.status),
                Text(run.experiment.data.name),
                Text(run.experiment.name),
                Text(f"{run.started.params:,}" if run.started else "-", justify="right"),
                Text("-" if best is None else f"{best:.2%}", justify="right"),
                Text(str(run.epochs_done), justify="right"),
                Text(format_duration(run_seconds(run)), justify="right"),
                Text(change_from_previous(runs, index)),
                key=str(run.run_id),
            )
