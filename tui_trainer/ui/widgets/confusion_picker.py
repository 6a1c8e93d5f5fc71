"""The confusion matrix with a cursor: the arrow keys pick a (true, predicted) cell, whose samples the inspection lists."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message

from tui_trainer.core.spec.metrics import ClassReport
from tui_trainer.ui.widgets.confusion import ConfusionMatrix


class ConfusionPicker(ConfusionMatrix):
    """A focusable heat map: arrows move the cursor cell (drawn reversed) and post CellPicked; enter posts it too."""

    can_focus = True
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("enter", "pick", "Show its samples", show=False),
    ]

    class CellPicked(Message):
        """The cursor rests on this (true, predicted) cell."""

        def __init__(self, true: int, pred: int) -> None:
            super().__init__()
            self.true, self.pred = true, pred

    def show(self, report: ClassReport | None, normalised: bool | None = None) -> None:
        """Draw a report; the cursor stays where it was when the classes did not change."""
        if report is None or self.cursor is None or max(self.cursor) >= len(report.class_names):
            self.cursor = None
        super().show(report, normalised)

    def place(self, true: int, pred: int) -> None:
        """Put the cursor on a cell (no message)."""
        self.cursor = (true, pred)
        super().show(self.report)

    def action_move(self, rows: int, columns: int) -> None:
        """Move the cursor (from the first mistake when there is none yet) and pick that cell."""
        if self.report is None:
            return
        n = len(self.report.class_names)
        t, p = self.cursor if self.cursor is not None else (0, 1 if n > 1 else 0)
        self.place(min(max(t + rows, 0), n - 1), min(max(p + columns, 0), n - 1))
        self.action_pick()

    def action_pick(self) -> None:
        """Post the cursor's cell."""
        if self.cursor is not None:
            self.post_message(self.CellPicked(*self.cursor))
