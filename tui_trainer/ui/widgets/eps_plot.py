"""Accuracy against eps for each attack (textual-plotext), coloured from the theme, the clean accuracy dotted."""

from __future__ import annotations

from tui_trainer.core.spec.robustness import AttackPoint
from tui_trainer.ui.widgets.curves import theme_colour, tick_count
from tui_trainer.ui.widgets.matrix_plot import MatrixPlot

ROLES = {"fgsm": "warning", "pgd": "error"}
"""Each attack's theme colour."""


class EpsPlot(MatrixPlot):
    """Accuracy (0-100 %) against eps, one braille line with markers per attack; redrawn only when shown new points."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._points: tuple[AttackPoint, ...] = ()
        self._clean: float | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw())
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def show(self, points: tuple[AttackPoint, ...], clean: float | None) -> None:
        """Plot these points (any attacks, any eps) and the clean accuracy."""
        self._points, self._clean = tuple(points), clean
        self._draw()

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        plt = self.plt
        plt.clear_data()
        plt.title("")
        plt.xlabel("eps (pixels in [0, 1] / feature std)")
        eps = sorted({p.eps for p in self._points}) or [0.0, 0.3]
        high = max(eps[-1], 1e-3)
        if self._clean is not None:
            plt.plot([0.0, high], [100 * self._clean] * 2, color=theme_colour(self, "muted").rgb, marker="dot")
        for name in dict.fromkeys(p.name for p in self._points):
            mine = sorted((p for p in self._points if p.name == name), key=lambda p: p.eps)
            colour = theme_colour(self, ROLES.get(name, "primary")).rgb
            xs, ys = [p.eps for p in mine], [100 * p.accuracy for p in mine]
            plt.plot(xs, ys, color=colour, marker="braille")
            plt.scatter(xs, ys, color=colour, marker="●")
        plt.xlim(0.0, high)
        plt.ylim(0, 100)
        plt.xticks(eps, [f"{e:g}" for e in eps])
        count = tick_count(max(2, self.size.height - 3))  # ticks on whole rows: evenly spaced labels
        values = [100 * i / (count - 1) for i in range(count)]
        plt.yticks(values, [f"{v:.0f}%" for v in values])
        self.refresh()
