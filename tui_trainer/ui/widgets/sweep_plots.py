"""The Sweep tab's plots: every trial's objective per epoch (pruned ones dimmed, the best highlighted), the best
so far over trials, and the parameters' importances as text bars."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_trainer.core.sweep.results import StudyResult
from tui_trainer.core.sweep.watch import best_so_far
from tui_trainer.ui.widgets.curves import Curve, CurvePlot, theme_colour
from tui_trainer.ui.widgets.trials_table import short_param

MAX_TRIAL_CURVES = 60
"""The most trials drawn (the newest): beyond that the plot is one band and a redraw costs."""
ROLES = {"complete": "primary", "running": "accent", "pruned": "muted", "failed": "error", "waiting": "muted"}
LEGEND = (("complete", "complete"), ("running", "running"), ("pruned", "pruned"), ("best", "best"))


def trial_curves(result: StudyResult) -> list[Curve]:
    """Each trial's objective after each epoch (what the pruner compares), the best trial's last (on top)."""
    best = result.best
    trials = sorted(result.trials, key=lambda t: t.number)[-MAX_TRIAL_CURVES:]
    curves = [
        Curve(
            f"trial {t.number}",
            [float(i) for i in range(1, len(t.curve) + 1)],
            list(t.curve),
            ROLES[t.state],
            "x" if t.state == "pruned" else "",  # where the pruner stopped it (one epoch is one point)
        )
        for t in trials
        if t.curve and (best is None or t.number != best.number)
    ]
    curves.sort(key=lambda c: c.role != "muted")  # dimmed ones underneath
    if best is not None and best.curve:
        curves.append(
            Curve(
                f"best: {best.number}",
                [float(i) for i in range(1, len(best.curve) + 1)],
                list(best.curve),
                "success",
                "•",
            )
        )
    return curves


def best_curves(result: StudyResult) -> list[Curve]:
    """Each complete trial's objective (dimmed dots) and the best so far after each, over the trials' numbers."""
    xs, ys = best_so_far(result)
    if not xs:
        return []
    values = {t.number: t.value for t in result.trials if t.state == "complete" and t.value is not None}
    each = Curve("each trial", [float(x) for x in xs], [float(values[x]) for x in xs], "muted", "·", line=False)
    return [each, Curve("best so far", [float(x) for x in xs], ys, "success", "•")]


class PlotBox(Vertical):
    """A title line above a CurvePlot (the sweep's own legend words: pruned, not "earlier runs")."""

    def __init__(self, title: str, *, plot_id: str, legend: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="sweep-plot")
        self.title = title
        self.plot_id = plot_id
        self.with_legend = legend

    def compose(self) -> ComposeResult:
        yield Static(self.title, classes="sweep-legend", markup=False)
        yield CurvePlot(self.title, id=self.plot_id)

    def on_mount(self) -> None:
        self.query_one(Static).update(self._legend())

    def _legend(self) -> Text:
        text = Text(self.title, style="bold")
        if self.with_legend:
            for role_key, words in LEGEND:
                role = "success" if role_key == "best" else ROLES[role_key]
                text.append(" ")
                text.append("━", style=Style(color=theme_colour(self.query_one(Static), role).rich_color))
                text.append(f" {words}")
        return text

    def show(self, curves: list[Curve]) -> None:
        """Draw these curves (all at one value: a narrow band around it, not the plot's half-height one)."""
        values = [y for c in curves for y in c.ys]
        ylim = None
        if values and max(values) == min(values):
            pad = max(abs(values[0]) * 0.02, 1e-3)
            ylim = (values[0] - pad, values[0] + pad)
        self.query_one(CurvePlot).show(curves, ylim=ylim)


def importance_text(importances: dict[str, float], width: int) -> Text:
    """One line per parameter, most important first: its name, a bar and its share."""
    text = Text("importance", style="bold")
    if not importances:
        text.append("\n(after two complete trials)", style="dim")
        return text
    name_width = min(14, max(len(short_param(n)) for n in importances))
    bar_width = max(4, width - name_width - 6)
    for name, share in sorted(importances.items(), key=lambda kv: -kv[1]):
        cells = round(share * bar_width)
        text.append(f"\n{short_param(name)[:name_width]:<{name_width}} ")
        text.append("█" * cells, style="bold")
        text.append("·" * (bar_width - cells), style="dim")
        text.append(f" {share:.2f}")
    return text


class ImportanceBars(Static):
    """Optuna's importances (its default evaluator) of the searched parameters, as text bars."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.importances: dict[str, float] = {}

    def show(self, importances: dict[str, float]) -> None:
        """Redraw with these importances."""
        self.importances = dict(importances)
        self.update(importance_text(self.importances, self.size.width or 24))

    def on_resize(self) -> None:
        self.update(importance_text(self.importances, self.size.width or 24))
