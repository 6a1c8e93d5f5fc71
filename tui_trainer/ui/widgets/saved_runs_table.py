"""The Runs tab's table of saved runs, fitted to its width: the key columns always show, the settings last."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable

from tui_trainer.core.spec.compare import differing_settings, setting_values
from tui_trainer.ui.run_history import format_duration

if TYPE_CHECKING:
    from tui_trainer.core.runs.listing import RunRecord

DIFF_COLUMN = "differs from the preset"
SHRINK_FIRST = (("diff", 12), ("preset", 8), ("data", 8))
"""The columns narrowed when the table is too wide, in this order, each down to this many cells; the key
columns (date, best val, epochs, time, status) keep their width."""
SETTING_WIDTH = 24
"""Most cells a column of one setting takes (with `c`: one column per setting that differs)."""
OWN_COLUMNS = ("data", "preset", "epochs")
"""Settings that have a column of their own already (epochs: done / planned)."""


@dataclass(frozen=True)
class Column:
    """One column as drawn: its header and a cell per run."""

    key: str
    label: str
    cells: list[str]
    right: bool = False
    """Right-aligned (numbers)."""

    @property
    def width(self) -> int:
        """The cells the widest of its header and cells takes."""
        return max([cell_len(self.label), *(cell_len(c) for c in self.cells)])


def fit_widths(natural: dict[str, int], available: int, padding: int) -> dict[str, int]:
    """The width of each column so that the table fits `available` cells (each column also takes `padding`
    cells): SHRINK_FIRST's columns are narrowed in turn, never below their minimum; the others keep theirs."""
    widths = dict(natural)
    excess = sum(w + padding for w in widths.values()) - available
    for name, minimum in SHRINK_FIRST:
        if excess <= 0:
            break
        if name in widths and widths[name] > minimum:
            cut = min(excess, widths[name] - minimum)
            widths[name] -= cut
            excess -= cut
    return widths


def cut_to(text: str, width: int) -> str:
    """The text in at most width cells, an ellipsis marking a cut."""
    if cell_len(text) <= width:
        return text
    out = Text(text)
    out.truncate(width, overflow="ellipsis")
    return out.plain


class SavedRunsTable(DataTable):
    """One row per saved run, by the Runs tab's order; redrawn to fit when the terminal is resized.

    The settings show as one column of what differs from the run's preset, or (per_setting) one column per
    setting that differs among the listed runs.
    """

    def __init__(self, preset_diff: Callable[[RunRecord], str], *, id: str | None = None) -> None:
        """preset_diff: a run's settings that differ from its preset, in words."""
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.preset_diff = preset_diff
        self.records: list[RunRecord] = []
        self.marks: dict[str, str] = {}
        self.per_setting = False
        """True: one column per setting that differs among the runs; False: one column of what differs from the preset."""
        self._drawn_width = -1

    def show(self, records: Sequence[RunRecord], marks: dict[str, str], *, per_setting: bool) -> None:
        """Redraw all rows (marks: the first column's symbol by run directory), keeping the cursor on its row number."""
        self.records, self.marks, self.per_setting = list(records), marks, per_setting
        self._redraw()

    def on_resize(self, event: events.Resize) -> None:
        if self.size.width != self._drawn_width:
            self._redraw()

    def columns_for(self, records: Sequence[RunRecord]) -> list[Column]:
        """The columns of these runs, before fitting: the mark, date, data, preset, the key numbers, then the settings."""
        rows = list(records)
        best = ["-" if r.best_val_accuracy is None else f"{r.best_val_accuracy:.2%}" for r in rows]
        epochs = [f"{r.epochs_done}/{r.epochs}" if r.epochs else str(r.epochs_done) for r in rows]
        columns = [
            Column("mark", "", [self.marks.get(str(r.path), "") for r in rows]),
            Column("date", "date", [r.created.strftime("%Y-%m-%d %H:%M") if r.created else "?" for r in rows]),
            Column("data", "data", [r.dataset for r in rows]),
            Column("preset", "preset", [r.preset for r in rows]),
            Column("best val", "best val", best, right=True),
            Column("epochs", "epochs", epochs, right=True),
            Column("time", "time", [format_duration(r.seconds) for r in rows], right=True),
            Column("status", "status", [r.status_text for r in rows]),
        ]
        if not self.per_setting:
            return [*columns, Column("diff", DIFF_COLUMN, [self.preset_diff(r) for r in rows])]
        values = [setting_values(r.experiment) if r.experiment is not None else None for r in rows]
        for name in differing_settings([r.experiment for r in rows if r.experiment is not None]):
            if name in OWN_COLUMNS:
                continue
            cells = [cut_to(v.get(name, "-"), SETTING_WIDTH) if v is not None else "?" for v in values]
            columns.append(Column(f"setting:{name}", name, cells))
        return columns

    def _redraw(self) -> None:
        row = self.cursor_row
        columns = self.columns_for(self.records)
        available = self.size.width - self.styles.scrollbar_size_vertical
        widths = {c.key: c.width for c in columns}
        if available > 0:
            widths = fit_widths(widths, available, 2 * self.cell_padding)
        self._drawn_width = self.size.width
        self.clear(columns=True)
        for column in columns:
            self.add_column(Text(cut_to(column.label, widths[column.key])), key=column.key)
        for index, record in enumerate(self.records):
            cells = []
            for column in columns:
                cell = cut_to(column.cells[index], widths[column.key])
                text = Text(cell, justify="right" if column.right else "left")
                if column.key == "status" and record.problem:
                    text.stylize("italic")
                cells.append(text)
            # Text cells: a str cell is read as markup, and names and settings are the user's
            self.add_row(*cells, key=str(record.path))
        if self.records:
            self.move_cursor(row=max(0, min(row, len(self.records) - 1)), animate=False)
