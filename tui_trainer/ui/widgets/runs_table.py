"""This session's runs: status, best validation accuracy, epochs, time, and what each run changed from the one before."""

from __future__ import annotations

from rich.cells import cell_len
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
        self._widths: list[int] = []
        """Each column's width as last laid out (its widest cell then)."""

    def on_mount(self) -> None:
        for label in COLUMNS:
            self.add_column(label, key=label)

    def show(self, runs: list[RunHistory]) -> None:
        """Draw the runs: nothing when no cell changed; the changed cells in place when the rows are the same runs
        and every cell fits its column (a live run's epochs, accuracy and time: no layout pass); else the table
        afresh, its columns fitted to what they hold now."""
        rows = [run_row(runs, index) for index in range(len(runs))]
        if rows == self._shown:
            return
        if self._fits(rows):
            for old, new in zip(self._shown, rows, strict=True):
                for label, before, after in zip(COLUMNS, old, new, strict=True):
                    if before != after:
                        self.update_cell(new[0], label, _cell(label, after))
            self._shown = rows
            return
        self.clear()
        for row in rows:
            self.add_row(*(_cell(label, text) for label, text in zip(COLUMNS, row)), key=row[0])
        self._shown = rows
        self._widths = [max(cell_len(text) for text in column) for column in zip(*rows)] if rows else []

    def _fits(self, rows: list[tuple[str, ...]]) -> bool:
        """Whether rows are the drawn runs (same ids, same order) with every cell within its column's width."""
        if len(rows) != len(self._shown) or not rows:
            return False
        if any(new[0] != old[0] for new, old in zip(rows, self._shown, strict=True)):
            return False
        return all(cell_len(text) <= width for row in rows for text, width in zip(row, self._widths, strict=True))


def _cell(label: str, text: str) -> Text:
    """A Text cell (a str cell is read as markup, and dataset and preset names are the user's)."""
    return Text(text, justify="right" if label in RIGHT_ALIGNED else "left")
