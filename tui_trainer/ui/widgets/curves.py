"""A line plot of named curves (textual-plotext), coloured from the Textual theme."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from textual.color import Color
from textual_plotext import PlotextPlot

MAX_MARKERS = 30
"""Above this many points a curve is a plain line (dots would merge into a thick band)."""
MAX_CURVE_POINTS = 300
"""A curve with more points is drawn (and kept) thinned to about this many: a plot is at most ~100
columns of braille, and a redraw costs with the points (a saved 10,000-epoch run as an overlay)."""


@dataclass(frozen=True)
class Curve:
    """One series to draw: label, points and a role picking its theme colour."""

    label: str
    xs: list[float]
    ys: list[float]
    role: str = "primary"
    """A theme colour name: primary, secondary, accent, warning, success, error, or muted."""
    markers: bool = False
    """Also mark each point (epoch values) with a dot, while there are few."""


def thinned(curve: Curve, limit: int = MAX_CURVE_POINTS) -> Curve:
    """A copy of the curve with at most limit of its points (evenly picked, the first and the last among
    them): the caller's lists may grow on (RunHistory's series), what a plot keeps does not."""
    n = len(curve.xs)
    if n <= limit:
        return dataclasses.replace(curve, xs=list(curve.xs), ys=list(curve.ys))
    picks = [round(i * (n - 1) / (limit - 1)) for i in range(limit)]  # distinct: n > limit
    return dataclasses.replace(curve, xs=[curve.xs[i] for i in picks], ys=[curve.ys[i] for i in picks])


class CurvePlot(PlotextPlot):
    """A plot that redraws only when given new curves (the caller caps how often)."""

    def __init__(self, title: str, *, xlabel: str = "epoch", id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.xlabel = xlabel
        self._curves: list[Curve] = []
        self._ylim: tuple[float, float] | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw())
        self._draw()

    def _colour(self, role: str) -> tuple[int, int, int]:
        variables = self.app.theme_variables
        name = "foreground-darken-3" if role == "muted" else role
        return Color.parse(variables.get(name, variables["foreground"])).rgb

    def show(self, curves: list[Curve], ylim: tuple[float, float] | None = None) -> None:
        """Replace the curves (each thinned to MAX_CURVE_POINTS) and redraw."""
        self._curves = [thinned(curve) for curve in curves]
        self._ylim = ylim
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title(self.title)
        plt.xlabel(self.xlabel)
        drawn = False
        for curve in self._curves:
            if not curve.xs:
                continue
            drawn = True
            colour = self._colour(curve.role)
            plt.plot(curve.xs, curve.ys, label=curve.label, color=colour, marker="braille")
            if curve.markers and len(curve.xs) <= MAX_MARKERS:
                plt.scatter(curve.xs, curve.ys, color=colour, marker="•")
        if self._ylim:
            plt.ylim(*self._ylim)
        if not drawn:
            plt.xlim(0, 1)
            plt.ylim(0, 1)
        self.refresh()
