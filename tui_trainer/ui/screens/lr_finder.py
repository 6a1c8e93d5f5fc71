"""The learning-rate finder's screen: the smoothed loss against log10(lr), the suggested rate marked, `a` applies it."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_trainer.core.spec.lr_finding import LrFinding
from tui_trainer.ui.widgets.curves import Curve, CurvePlot, LabelledPlot

RULE_NAMES = {"valley": "fastai's valley", "steep": "the steepest descent"}


def finding_curves(finding: LrFinding) -> tuple[list[Curve], tuple[float, float]]:
    """The curves of a finding (loss, the suggestion, the steepest descent) and the y range to show: from the
    lowest loss to twice the first (the divergence at the end would flatten the rest)."""
    xs = [math.log10(lr) for lr in finding.lrs]
    low = min(finding.losses)
    high = max(low * 1.05, min(max(finding.losses), 2 * finding.losses[0]))
    ys = [min(loss, high) for loss in finding.losses]
    curves = [Curve("smoothed loss", xs, ys, "primary")]

    def mark(label: str, lr: float, role: str, marker: str) -> Curve:
        nearest = min(range(len(finding.lrs)), key=lambda i: abs(math.log10(finding.lrs[i]) - math.log10(lr)))
        return Curve(label, [math.log10(lr)], [ys[nearest]], role, marker, line=False)

    if finding.suggestion is not None:
        curves.append(mark(f"suggested {finding.suggestion:.2g}", finding.suggestion, "warning", "▼"))
    if finding.steepest is not None and finding.rule != "steep":
        curves.append(mark(f"steepest {finding.steepest:.2g}", finding.steepest, "accent", "◆"))
    return curves, (low, high)


class LrFinderScreen(ModalScreen[float | None]):
    """Waits for the finding (computed where training runs), then plots it; `a` dismisses with the suggestion."""

    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("a", "apply", "Apply the suggestion"),
    ]

    def __init__(self, what: str) -> None:
        super().__init__(classes="dialog-screen")
        self.what = what
        self.finding: LrFinding | None = None
        self._pending: LrFinding | str | None = None

    def on_mount(self) -> None:
        if self._pending is not None:
            self.call_after_refresh(self.show, self._pending)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide", id="lr-finder"):
            yield Static(f"Learning-rate finder: {self.what}", classes="dialog-title", markup=False)
            yield Static(
                "sweeping the learning rate from 1e-7 to 10, one batch each, where training runs...",
                id="lr-find-status",
                classes="dialog-text",
                markup=False,
            )
            yield LabelledPlot("smoothed loss vs log10(lr)", plot_id="lr-find-plot", id="lr-find-plot-box")
            yield Static("", id="lr-find-why", classes="dialog-text", markup=False)
            yield Static("a applies the suggestion to the Hyperparams tab's lr, escape closes", classes="field-help")

    def show(self, finding: LrFinding | str) -> None:
        """The finding (plot and words), or why there is none (kept until the screen is mounted, if it is not yet)."""
        if not self.query("#lr-find-status"):
            self._pending = finding
            return
        status = self.query_one("#lr-find-status", Static)
        if isinstance(finding, str):
            status.update(f"no finding: {finding}")
            return
        self.finding = finding
        stopped = f"; stopped early: {finding.stopped}" if finding.stopped else ""
        status.update(f"{len(finding.lrs)} batches, lr {finding.lrs[0]:.0e} to {finding.lrs[-1]:.1e}{stopped}")
        if not finding.lrs:
            return
        curves, ylim = finding_curves(finding)
        self.query_one("#lr-find-plot", CurvePlot).show(curves, ylim=ylim)
        if finding.suggestion is None:
            self.query_one("#lr-find-why", Static).update(f"no suggestion: {finding.why}")
        else:
            self.query_one("#lr-find-why", Static).update(
                f"suggested lr {finding.suggestion:.3g} by {RULE_NAMES[finding.rule]}: {finding.why}"
            )

    def action_apply(self) -> None:
        """Close with the suggestion (the app puts it in the Hyperparams tab's lr)."""
        if self.finding is not None and self.finding.suggestion is not None:
            self.dismiss(self.finding.suggestion)
        else:
            self.app.notify("no suggestion yet", title="Learning-rate finder", markup=False)
