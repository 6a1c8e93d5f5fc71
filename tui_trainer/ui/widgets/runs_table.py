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


RIGHT_ALIGNED = frozenset({"#", "params", "best val", "epochs", "time"})


def run_row(runs: list[RunHistory], index: int) -> tuple[str, ...]:
    """Run `index`'s cells as text, in COLUMNS' order."""
    run = runs[index]
    best = run.best_val_accuracy
    return (
        str(run.run_id),
        run.status,
        run.experiment.data.name,
        run.experiment.name,
        f"{run.started.params:,}" if run.started else "-",
        "-" if best is None else f"{best:.2%}",
        str(run.epochs_done),
        format_duration(run_seconds(run)),
        change_from_previous(runs, index),
    )


class RunsTable(DataTable):
    """One row per run of this session, newest last; each run's settings compared with the run before it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: list[tuple[str, ...]] = []
        """The rows as last drawn."""

    def on_mount(self) -> None:
        for label in COLUMNS:
            self.add_column(label, key=label)

    def show(self, runs: list[RunHistory]) -> None:
        """Draw the runs again, or nothing when no cell changed. (Cells changed in place would keep the columns
        as wide as their widest value so far; a redraw fits them to what they hold now.)"""
        rows = [run_row(runs, index) for index in range(len(runs))]
        if rows == self._shown:
            return
        self.clear()
        for row in rows:
            self.add_row(*(_cell(label, text) for label, text in zip(COLUMNS, row)), key=row[0])
        self._shown = rows


def _cell(label: str, text: str) -> Text:
    """A Text cell (a str cell is read as markup, and dataset and preset names are the user's)."""
    return Text(text, justify="right" if label in RIGHT_ALIGNED else "left")
