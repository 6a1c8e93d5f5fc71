"""Per-class precision / recall / F1 / support with macro and weighted averages."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui_trainer.core.metrics import ClassReport


class ClassMetrics(DataTable):
    """The classification report of one epoch as a table."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="none", zebra_stripes=True, show_cursor=False)

    def on_mount(self) -> None:
        for label in ("class", "precision", "recall", "F1", "support"):
            self.add_column(label, key=label)

    def show(self, report: ClassReport | None) -> None:
        """Draw a report (None clears)."""
        self.clear()
        if report is None:
            return

        def num(x: float) -> Text:
            return Text(f"{x:.3f}", justify="right")

        for name, p, r, f, s in zip(report.class_names, report.precision, report.recall, report.f1, report.support):
            self.add_row(name[:12], num(p), num(r), num(f), Text(str(s), justify="right"))
        total = Text(str(sum(report.support)), justify="right")
        for label, avg in (("macro avg", report.macro), ("weighted", report.weighted)):
            self.add_row(Text(label, style="bold"), num(avg.precision), num(avg.recall), num(avg.f1), total)
