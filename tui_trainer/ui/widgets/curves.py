"""Line plots of named curves (textual-plotext) with their legend on a line above the plot, coloured from the theme."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui_trainer.ui.widgets.matrix_plot import MatrixPlot

MAX_MARKERS = 30
"""Above this many points a curve is a plain line (dots would merge into a thick band)."""
MAX_CURVE_POINTS = 300
"""A curve with more points is drawn (and kept) thinned to about this many: a plot is at most ~100
columns of braille, and a redraw costs with the points (a saved 10,000-epoch run as an overlay)."""
DOTS_PER_COLUMN = 2
"""A braille cell is two dots wide: a plot shows at most this many points per column, so a curve is thinned to
that (within MAX_CURVE_POINTS): plotext's drawing costs with the points."""
MIN_CURVE_POINTS = 64
"""A plot not laid out yet (width 0) or very narrow still keeps this many."""
X_TICK_SPACING = 10
"""About one x tick per this many columns."""
Y_TICK_ROWS = 3
"""About one y tick per this many rows (at least two ticks)."""


@dataclass(frozen=True)
class Curve:
    """One series to draw: label, points and a role picking its theme colour."""

    label: str
    xs: list[float]
    ys: list[float]
    role: str = "primary"
    """A theme colour name (primary, secondary, accent, warning, success, error), muted or batch: theme_colour."""
    marker: str = ""
    """A character marking each point (epoch values) while there are few; "" for a plain line."""
    line: bool = True
    """False: the marked points alone (the learning rate's changes by hand), no line between them."""


def thinned(curve: Curve, limit: int = MAX_CURVE_POINTS) -> Curve:
    """A copy of the curve with at most limit of its points (evenly picked, the first and the last among
    them): the caller's lists may grow on (RunHistory's series), what a plot keeps does not."""
    n = len(curve.xs)
    if n <= limit:
        return dataclasses.replace(curve, xs=list(curve.xs), ys=list(curve.ys))
    picks = [round(i * (n - 1) / (limit - 1)) for i in range(limit)]  # distinct: n > limit
    return dataclasses.replace(curve, xs=[curve.xs[i] for i in picks], ys=[curve.ys[i] for i in picks])


def theme_colour(widget: Static | PlotextPlot, role: str) -> Color:
    """The theme's colour for a curve role: a theme colour name, "muted" (a dim foreground, for earlier runs) or
    "batch" (the primary colour halfway to the foreground: the same family as the epoch train curve, paler)."""
    variables = widget.app.theme_variables
    if role == "batch":
        return Color.parse(variables["primary"]).blend(Color.parse(variables["foreground"]), 0.5)
    name = "foreground-darken-3" if role == "muted" else role
    return Color.parse(variables.get(name, variables["foreground"]))


def integer_ticks(low: float, high: float, count: int) -> list[int]:
    """About count whole-number ticks from low to high, evenly spaced by 1, 2 or 5 times a power of ten."""
    span = max(1.0, high - low)
    raw = span / max(1, count)
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next((m * power for m in (1, 2, 5, 10) if m * power >= raw), 10 * power)
    step = max(1, int(step))
    first = math.ceil(low / step) * step
    return list(range(int(first), int(high) + 1, step))


def tick_count(rows: int) -> int:
    """How many y ticks a plot of `rows` canvas rows gets: an odd number (a constant sits on the middle one)
    that divides the rows evenly where one does, about one per Y_TICK_ROWS rows, at most 5."""
    wanted = max(3, min(5, rows // Y_TICK_ROWS + 1))
    for count in (wanted, 5, 3):
        if count <= wanted and (rows - 1) % (count - 1) == 0:
            return count
    return 3


def value_ticks(low: float, high: float, count: int) -> tuple[list[float], list[str]]:
    """count evenly spaced ticks from low to high (an odd count, so that a constant, drawn mid-height, sits on
    one), each labelled with its own value to the precision of the spacing: a label is the value at its row."""
    count = max(3, count - (1 - count % 2))
    values = [low + (high - low) * i / (count - 1) for i in range(count)]
    step = (high - low) / (count - 1)
    decimals = max(0, 1 - math.floor(math.log10(step))) if step > 0 else 2
    if decimals > 5:  # tiny values (a learning rate of 1e-5): short scientific notation, as precise as the step
        top = max(abs(low), abs(high))
        digits = max(0, math.floor(math.log10(top)) - math.floor(math.log10(step)) + 1) if top > 0 else 0
        return values, [short_scientific(v, digits) for v in values]
    return values, [f"{v:.{decimals}f}" for v in values]


def short_scientific(value: float, digits: int) -> str:
    """value in scientific notation with digits after the point, without padding: 2.5e-7, 1e-6, 0."""
    if value == 0:
        return "0"
    mantissa, _, exponent = f"{value:.{digits}e}".partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def y_range(values: list[float]) -> tuple[float, float]:
    """The y range that shows values: their span, or a band around a constant (plotted mid-height)."""
    low, high = min(values), max(values)
    if high > low:
        return low, high
    pad = abs(low) * 0.5 or 1.0
    return low - pad, high + pad


class PlotLegend(Static):
    """The line above a plot: its title, then each curve's mark and label in the curve's colour."""

    def show(self, title: str, curves: list[Curve]) -> None:
        """Redraw the legend: the current run's curves first (a narrow terminal cuts the line's end), then one
        entry for the dimmed earlier runs."""
        text = Text(title, style="bold")
        current = [c for c in curves if c.role != "muted"]
        dimmed = [c for c in curves if c.role == "muted" and c.xs][:1]
        for curve in current + dimmed:
            colour = Style(color=theme_colour(self, curve.role).rich_color)
            text.append("  ")
            text.append(f"━{curve.marker or '━'}", style=colour)
            text.append(f" {curve.label}" if curve.role != "muted" else " earlier runs")
        if text == self._shown:
            return
        self._shown = text
        self.update(text, layout=False)  # one line high (.plot-legend): a new text never changes the layout

    _shown: Text | None = None


class CurvePlot(MatrixPlot):
    """A plot that redraws only when given new curves (the caller caps how often); no title, legend or x label
    inside the box (its PlotLegend shows them), whole-number x ticks."""

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.legend: PlotLegend | None = None
        """Where the title and the curves' labels are shown (set by LabelledPlot)."""
        self._curves: list[Curve] = []
        self._ylim: tuple[float, float] | None = None
        self._xlim: tuple[float, float] | None = None
        self.drawn_points: list[int] = []
        """How many points of each curve the last redraw handed to plotext."""

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw())
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def show(
        self,
        curves: list[Curve],
        ylim: tuple[float, float] | None = None,
        xlim: tuple[float, float] | None = None,
    ) -> None:
        """Replace the curves (each kept thinned to MAX_CURVE_POINTS, drawn thinned to point_limit()) and redraw. xlim: the x range (plots of one run share it). Every plot's y ticks
        are evenly spaced and labelled with their own values (value_ticks): a constant lr sits on one."""
        self._curves, self._ylim, self._xlim = [thinned(curve) for curve in curves], ylim, xlim
        self._draw()

    def point_limit(self) -> int:
        """The points a curve keeps on this plot: two per column of its width (braille), at most MAX_CURVE_POINTS."""
        return max(MIN_CURVE_POINTS, min(MAX_CURVE_POINTS, DOTS_PER_COLUMN * self.size.width))

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        plt = self.plt
        plt.clear_data()
        plt.title("")
        plt.xlabel("")
        limit = self.point_limit()
        drawn = [thinned(curve, limit) for curve in self._curves if curve.xs]
        self.drawn_points = [len(curve.xs) for curve in drawn]
        for curve in drawn:
            colour = theme_colour(self, curve.role).rgb
            if curve.line:
                plt.plot(curve.xs, curve.ys, color=colour, marker="braille")
            if curve.marker and len(curve.xs) <= MAX_MARKERS:
                plt.scatter(curve.xs, curve.ys, color=colour, marker=curve.marker)
        if self.legend is not None:
            self.legend.show(self.title, self._curves)
        if not drawn:
            plt.xlim(0, 1)
            plt.ylim(0, 1)
            self.refresh()
            return
        low_x, high_x = self._xlim or (min(min(c.xs) for c in drawn), max(max(c.xs) for c in drawn))
        high_x = max(high_x, low_x + 1)
        plt.xlim(low_x, high_x)
        columns = max(20, self.size.width - 8)
        plt.xticks(integer_ticks(low_x, high_x, max(2, columns // X_TICK_SPACING)))
        ylim = self._ylim or (y_range([y for c in drawn for y in c.ys if math.isfinite(y)] or [0.0]))
        plt.ylim(*ylim)
        values, labels = value_ticks(ylim[0], ylim[1], tick_count(max(2, self.size.height - 3)))
        plt.yticks(values, labels)
        self.refresh()


class LabelledPlot(Vertical):
    """A CurvePlot under its legend line; the plot keeps the given id (callers query and feed it)."""

    def __init__(self, title: str, *, plot_id: str, id: str | None = None) -> None:
        super().__init__(id=id, classes="labelled-plot")
        self._title = title
        self._plot_id = plot_id

    def compose(self) -> ComposeResult:
        legend = PlotLegend(self._title, classes="plot-legend", markup=False)
        plot = CurvePlot(self._title, id=self._plot_id)
        plot.legend = legend
        yield legend
        yield plot
