"""The confusion matrix as a heat-map table: rows = true class, columns = predicted class."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.widgets import DataTable

from tui_trainer.core.spec.metrics import ClassReport


def cell_values(report: ClassReport, normalised: bool) -> list[list[float]]:
    """Counts, or each row divided by its total (the share of each true class predicted as each class)."""
    if not normalised:
        return [[float(c) for c in row] for row in report.confusion]
    return [[c / total if (total := sum(row)) else 0.0 for c in row] for row in report.confusion]


class ConfusionMatrix(DataTable):
    """Heat-map of a ClassReport's confusion matrix; toggle counts / row-normalised with `normalised`."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="none", zebra_stripes=False, show_cursor=False)
        self.report: ClassReport | None = None
        self.normalised = False
        self._drawn: tuple[list[str], list[int]] | None = None
        """(class names, column widths) of the table as built; a report that fits is drawn in place."""

    def show(self, report: ClassReport | None, normalised: bool | None = None) -> None:
        """Draw a report (None clears). A report of the same classes whose cells still fit their
        columns is written into the cells in place: no layout pass (a rebuild is a full layout)."""
        if normalised is not None:
            self.normalised = normalised
        self.report = report
        if report is None:
            self.clear(columns=True)
            self._drawn = None
            return
        names = [n[:6] for n in report.class_names]
        cells = self._cells(report, names)
        widths = [max(len(row[c].plain) for row in cells) for c in range(len(names) + 1)]
        drawn = self._drawn
        if drawn is not None and drawn[0] == names and all(w <= d for w, d in zip(widths, drawn[1], strict=True)):
            for t, row in enumerate(cells):
                for p, cell in enumerate(row[1:]):
                    self.update_cell(f"t{t}", f"p{p}", cell)
            return
        self.clear(columns=True)
        self._drawn = (names, widths)
        self.add_column(Text("true\\pred", style="italic"), key="true")
        for i, name in enumerate(names):
            self.add_column(Text(name, justify="right"), key=f"p{i}")
        for t, row in enumerate(cells):
            self.add_row(*row, key=f"t{t}")

    def _cells(self, report: ClassReport, names: list[str]) -> list[list[Text]]:
        """Each row's cells: the true class's name, then one coloured value per predicted class."""
        values = cell_values(report, self.normalised)
        peak = max((v for row in values for v in row), default=0.0) or 1.0
        variables = self.app.theme_variables
        surface = Color.parse(variables["surface"])
        good, bad = Color.parse(variables["success"]), Color.parse(variables["error"])
        rows = []
        for t, row in enumerate(values):
            cells = [Text(names[t], style="bold")]
            for p, value in enumerate(row):
                share = value / peak if not self.normalised else value
                bg = surface.blend(good if t == p else bad, min(1.0, 0.15 + 0.85 * share) if value else 0.0)
                text = f"{value:.2f}" if self.normalised else f"{int(value)}"
                style = Style(color=bg.get_contrast_text(1.0).rich_color, bgcolor=bg.rich_color)
                cells.append(Text(text, justify="right", style=style))
            rows.append(cells)
        return rows
