"""Per-class precision / recall / F1 / support with macro and weighted averages: a table drawn line by line from the
report (the look of a zebra-striped DataTable, without its per-cell rendering on every epoch's update)."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_trainer.core.spec.metrics import ClassReport

COLUMNS = ("class", "precision", "recall", "F1", "support")
NAME_CHARS = 12
"""Class names are cut to this many characters."""
CELL_PADDING = 1
"""Cells of space on each side of every column (as a DataTable's cell padding)."""
AVERAGE_ROWS = 2
"""The last rows of a report's table: its macro and weighted averages (their label in bold)."""


def report_rows(report: ClassReport) -> list[tuple[str, ...]]:
    """The table's rows as cell texts: one per class, then the macro and weighted averages."""
    rows = [
        (name[:NAME_CHARS], f"{p:.3f}", f"{r:.3f}", f"{f:.3f}", str(s))
        for name, p, r, f, s in zip(report.class_names, report.precision, report.recall, report.f1, report.support)
    ]
    total = str(sum(report.support))
    for label, avg in (("macro avg", report.macro), ("weighted", report.weighted)):
        rows.append((label, f"{avg.precision:.3f}", f"{avg.recall:.3f}", f"{avg.f1:.3f}", total))
    return rows


def column_widths(rows: list[tuple[str, ...]]) -> list[int]:
    """Each column's width: its widest cell or header."""
    return [max([len(COLUMNS[c]), *(len(row[c]) for row in rows)]) for c in range(len(COLUMNS))]


def row_cells(cells: tuple[str, ...], widths: list[int], header: bool = False) -> list[str]:
    """One line of the table as padded cells: the class name (and every header) left-aligned, the numbers
    right-aligned."""
    pad = " " * CELL_PADDING
    aligned = [
        cell.ljust(width) if header or c == 0 else cell.rjust(width)
        for c, (cell, width) in enumerate(zip(cells, widths))
    ]
    return [f"{pad}{cell}{pad}" for cell in aligned]


class ClassMetrics(ScrollView, can_focus=True):
    """The classification report of one epoch as a table: a header line that stays on top, a line per class
    (striped) and the two averages in bold. A new report replaces the lines; they are styled when drawn."""

    COMPONENT_CLASSES = {"class-metrics--header", "class-metrics--even-row"}

    DEFAULT_CSS = """
    ClassMetrics {
        background: $surface;
        color: $foreground;
        width: auto;
        height: auto;
        max-height: 100%;
        & > .class-metrics--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .class-metrics--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .class-metrics--even-row {
            background: $surface-darken-1 40%;
        }
        &:focus {
            background-tint: $foreground 5%;
            outline-left: tall $accent;
            & > .class-metrics--header {
                background: $accent 35%;
            }
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[tuple[str, ...]] = []
        """The cell texts of the report shown (empty: none)."""
        self._widths = column_widths([])
        self._strips: dict[int, Strip] = {}
        """Drawn lines by row (-1: the header), until the report, the size or the styles change."""

    def show(self, report: ClassReport | None) -> None:
        """Draw a report (None clears)."""
        self.rows = [] if report is None else report_rows(report)
        self._widths = column_widths(self.rows)
        self._strips.clear()
        self.virtual_size = Size(self.table_width, len(self.rows) + 1)
        self.refresh()

    @property
    def table_width(self) -> int:
        """Cells of one line of the table."""
        return sum(self._widths) + 2 * CELL_PADDING * len(COLUMNS)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """The table's width (the widget is as wide as its table where the CSS says auto)."""
        return self.table_width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The header and every row (the CSS caps it: the rest scrolls)."""
        return len(self.rows) + 1

    def notify_style_update(self) -> None:
        """The CSS, the theme or the focus changed: lines are styled again when next drawn."""
        self._strips.clear()
        super().notify_style_update()

    def on_resize(self) -> None:
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        """Line y on screen: the header on top, then the rows from the scroll position down."""
        row = -1 if y == 0 else y - 1 + self.scroll_offset.y
        strip = self._strips.get(row)
        if strip is None:
            strip = self._strips[row] = self._line(row)
        return strip.crop(self.scroll_offset.x, self.scroll_offset.x + self.size.width)

    def _line(self, row: int) -> Strip:
        """The styled line of a row (-1: the header), as wide as the table or the widget."""
        base = self.rich_style
        width = max(self.table_width, self.size.width)
        if row >= len(self.rows):
            return Strip.blank(width, base)
        if row == -1:
            style = base + self.get_component_rich_style("class-metrics--header")
            return Strip([Segment("".join(row_cells(COLUMNS, self._widths, header=True)), style)]).extend_cell_length(
                width, style
            )
        style = base + self.get_component_rich_style("class-metrics--even-row") if row % 2 == 0 else base
        first, *rest = row_cells(self.rows[row], self._widths)
        name = self.rows[row][0]
        average = row >= len(self.rows) - AVERAGE_ROWS  # the label in bold (its padding not), as a Text cell's style
        segments = [
            Segment(first[:CELL_PADDING], style),
            Segment(name, style + Style(bold=True) if average else style),
            Segment(first[CELL_PADDING + len(name) :] + "".join(rest), style),
        ]
        return Strip(segments).extend_cell_length(width, style)
