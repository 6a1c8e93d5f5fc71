"""The confusion matrix as a compact heat map: rows = true class, columns = predicted class, one coloured cell each."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.widgets import Static

from tui_trainer.core.spec.metrics import ClassReport

NAME_CHARS = 5
"""Class names are cut to this many characters in the row labels."""


def cell_values(report: ClassReport, normalised: bool) -> list[list[float]]:
    """Counts, or each row divided by its total (the share of each true class predicted as each class)."""
    if not normalised:
        return [[float(c) for c in row] for row in report.confusion]
    return [[c / total if (total := sum(row)) else 0.0 for c in row] for row in report.confusion]


def cell_text(value: float, normalised: bool) -> str:
    """A cell as shown: a count, or a row share in whole percent (so ten classes fit in 80 columns)."""
    return f"{round(value * 100)}" if normalised else f"{int(value)}"


def column_label(index: int, name: str, width: int) -> str:
    """A predicted class's column header: its name when it fits the cell, else its index."""
    return name if len(name) <= width else str(index)


class ConfusionMatrix(Static):
    """Heat map of a ClassReport's confusion matrix (counts or row-normalised percent, `normalised`): the diagonal
    in the theme's success colour, mistakes in its error colour, stronger for more. One Static, redrawn whole:
    no table layout on an update."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.report: ClassReport | None = None
        self.normalised = False
        self.cursor: tuple[int, int] | None = None
        """(true, predicted) of a cell drawn reversed (a picker's cursor), or None."""

    def show(self, report: ClassReport | None, normalised: bool | None = None) -> None:
        """Draw a report (None clears)."""
        if normalised is not None:
            self.normalised = normalised
        self.report = report
        drawn = self._render_map(report) if report is not None else Text()
        lines = drawn.plain.split("\n")
        size = (len(lines), max(cell_len(line) for line in lines))
        self.update(drawn, layout=size != self._drawn_size)  # a layout pass (the whole screen) only for a new size
        self._drawn_size = size

    _drawn_size: tuple[int, int] | None = None

    def cell(self, true: int, predicted: int) -> str:
        """The text of one cell as drawn (for tests and screen readers)."""
        if self.report is None:
            return ""
        return cell_text(cell_values(self.report, self.normalised)[true][predicted], self.normalised)

    def _render_map(self, report: ClassReport) -> Text:
        values = cell_values(report, self.normalised)
        texts = [[cell_text(v, self.normalised) for v in row] for row in values]
        width = max((len(t) for row in texts for t in row), default=1)
        width = max(width, 2)
        names = [n[:NAME_CHARS] for n in report.class_names]
        label_width = max(len(n) for n in names)
        peak = max((v for row in values for v in row), default=0.0) or 1.0
        variables = self.app.theme_variables
        surface = Color.parse(variables["surface"])
        good, bad = Color.parse(variables["success"]), Color.parse(variables["error"])
        out = Text()
        header = "t\\p".ljust(label_width)
        out.append(header, style="italic dim")
        for p, name in enumerate(report.class_names):
            out.append(" " + column_label(p, name, width).rjust(width), style="bold")
        for t, row in enumerate(values):
            out.append("\n")
            out.append(names[t].ljust(label_width), style="bold")
            for p, value in enumerate(row):
                share = value if self.normalised else value / peak
                bg = surface.blend(good if t == p else bad, min(1.0, 0.15 + 0.85 * share) if value else 0.0)
                style = Style(
                    color=bg.get_contrast_text(1.0).rich_color, bgcolor=bg.rich_color, reverse=(t, p) == self.cursor
                )
                out.append(" ")
                out.append(texts[t][p].rjust(width), style=style)
        return out
