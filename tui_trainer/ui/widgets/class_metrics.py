"""Per-class precision / recall / F1 / support with macro and weighted averages."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui_trainer.core.spec.metrics import ClassReport

COLUMNS = ("class", "precision", "recall", "F1", "support")


class ClassMetrics(DataTable):
    """The classification report of one epoch as a table."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="none", zebra_stripes=True, show_cursor=False)
        self._drawn: tuple[list[str], list[int]] | None = None
        """(row labels, column widths) of the rows as added; a report that fits is drawn in place."""

    def on_mount(self) -> None:
        for label in COLUMNS:
            self.add_column(label, key=label)

    def show(self, report: ClassReport | None) -> None:
        """Draw a report (None clears); the same classes with values that fit are written in place
        (no layout pass)."""
        if report is None:
            self.clear()
            self._drawn = None
            return

        def num(x: float) -> Text:
            return Text(f"{x:.3f}", justify="right")

        rows = [
            [Text(name[:12]), num(p), num(r), num(f), Text(str(s), justify="right")]
            for name, p, r, f, s in zip(report.class_names, report.precision, report.recall, report.f1, report.support)
        ]
        total = Text(str(sum(report.support)), justify="right")
        for label, avg in (("macro avg", report.macro), ("weighted", report.weighted)):
            rows.append([Text(label, style="bold"), num(avg.precision), num(avg.recall), num(avg.f1), total])
        names = [row[0].plain for row in rows]
        widths = [max(len(row[c].plain) for row in rows) for c in range(len(COLUMNS))]
        if (
            self._drawn is not None
            and self._drawn[0] == names
            and all(w <= d for w, d in zip(widths, self._drawn[1], strict=True))
        ):
            for i, row in enumerate(rows):
                for column, cell in zip(COLUMNS[1:], row[1:], strict=True):
                    self.update_cell(f"r{i}", column, cell)
            return
        self.clear()
        self._drawn = (names, widths)
        for i, row in enumerate(rows):
            self.add_row(*row, key=f"r{i}")
