"""The Sweep tab's live trials table: rank, number, state, each searched parameter, objective, epochs, time."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui_trainer.core.sweep.results import StudyResult, TrialResult
from tui_trainer.core.sweep.space import value_text
from tui_trainer.ui.run_history import format_duration

STATE_STYLE = {"running": "bold", "complete": "", "pruned": "dim", "failed": "red", "waiting": "dim"}
"""How each state's row looks (pruned dimmed, as on the curves)."""


def objective_text(value: float | None, objective: str) -> str:
    """An objective as the table shows it: accuracies in percent, losses as numbers."""
    if value is None:
        return "-"
    return f"{value:.2%}" if "accuracy" in objective else f"{value:.4f}"


def param_text(value: object) -> str:
    """A trial's value of a parameter: floats to 4 significant digits (a sampled lr is 0.08026, not 17 digits)."""
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.4g}"
    return value_text(value)


def short_param(name: str) -> str:
    """A parameter's column header: layers.4.out_features -> L4.out_features."""
    if name.startswith("layers."):
        _, position, arg = name.split(".", 2)
        return f"L{position}.{arg}"
    return name


class TrialsTable(DataTable):
    """Every trial of the study, best first; the cursor stays on its trial across updates."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.trials: list[TrialResult] = []
        """The trials in the table's order."""
        self._params: tuple[str, ...] | None = None

    def show(self, result: StudyResult, params: tuple[str, ...], objective: str) -> None:
        """Redraw from the study (the caller calls it only when the study changed)."""
        selected = self.selected
        if params != self._params:
            self.clear(columns=True)
            self.add_column("rank", key="rank")
            self.add_column("#", key="number")
            self.add_column("state", key="state")
            for name in params:
                self.add_column(short_param(name), key=f"p:{name}")
            self.add_column(objective, key="objective")
            self.add_column("epochs", key="epochs")
            self.add_column("time", key="time")
            self._params = params
        else:
            self.clear()
        ranked = result.ranked()
        ranks = {t.number: i for i, t in enumerate((t for t in ranked if t.state == "complete"), start=1)}
        self.trials = ranked
        for trial in ranked:
            style = STATE_STYLE.get(trial.state, "")
            state = trial.state if trial.state != "pruned" else f"pruned@{trial.epochs}"
            cells = [
                str(ranks.get(trial.number, "")),
                str(trial.number),
                state,
                *(param_text(trial.params.get(name, "")) for name in params),
                objective_text(trial.value, objective),
                str(trial.epochs),
                format_duration(trial.seconds),
            ]
            self.add_row(*(Text(c, style=style) for c in cells), key=str(trial.number))
        if selected is not None and any(t.number == selected.number for t in ranked):
            row = next(i for i, t in enumerate(ranked) if t.number == selected.number)
            self.move_cursor(row=row, animate=False)

    @property
    def selected(self) -> TrialResult | None:
        """The trial under the cursor."""
        if not self.trials or self.cursor_row < 0:
            return None
        return self.trials[min(self.cursor_row, len(self.trials) - 1)]
