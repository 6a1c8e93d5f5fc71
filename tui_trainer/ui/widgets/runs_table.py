"""This session's runs: status, best validation accuracy, time, and the settings that differ."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui_trainer.core.spec.experiment import settings_diff
from tui_trainer.ui.run_history import RunHistory, format_duration


class RunsTable(DataTable):
    """One row per run of this session, newest last; settings compared with the first run."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for label in ("#", "status", "data", "preset", "params", "best val", "epochs", "time", "differs from run 1"):
            self.add_column(label, key=label)

    def show(self, runs: list[RunHistory]) -> None:
        """Redraw all rows."""
        self.clear()
        if not runs:
            return
        base = runs[0].experiment
        for run in runs:
            best = run.best_val_accuracy
            seconds = run.ended.seconds if run.ended else (run.last_batch.elapsed_s if run.last_batch else None)
            diff = ", ".join(settings_diff(base, run.experiment)) if run is not runs[0] else "(baseline)"
            self.add_row(  # Text cells: a str cell is read as markup, and dataset and preset names are the user's
                Text(str(run.run_id), justify="right"),
                Text(run.status),
                Text(run.experiment.data.name),
                Text(run.experiment.name),
                Text(f"{run.started.params:,}" if run.started else "-", justify="right"),
                Text("-" if best is None else f"{best:.2%}", justify="right"),
                Text(str(run.epochs_done), justify="right"),
                Text(format_duration(seconds), justify="right"),
                Text(diff or "(same settings)"),
                key=str(run.run_id),
            )
