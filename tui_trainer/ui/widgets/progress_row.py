"""One line of labelled progress bars drawn by a single widget (the Train tab's epoch and run progress): no timers,
and a repaint only when a drawn cell changes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.app import RenderResult
from textual.strip import Strip
from textual.widget import Widget

BAR = "━"
HALF_RIGHT = "╸"
"""The bar's end when it fills half of its last cell (the characters of Textual's ProgressBar)."""
HALF_LEFT = "╺"
"""The track's start after a bar that ends on a whole cell."""
PERCENT_WIDTH = 5
"""Cells of the percentage after each bar, right-aligned ("100%" with a space before it)."""
LABEL_PADDING = 1
"""Cells of space on each side of a bar's label."""
KEEP: object = object()
"""ProgressRow.update's total when the caller leaves it as it is."""


@dataclass
class BarState:
    """One bar of the row: its label and its progress out of total (None: not known yet)."""

    label: str
    total: float | None = None
    progress: float = 0.0

    @property
    def percentage(self) -> float | None:
        """progress / total in 0..1 (1 for a total of 0), None while the total is unknown."""
        if self.total is None:
            return None
        if self.total == 0:
            return 1.0
        return min(1.0, max(0.0, self.progress / self.total))


def bar_cells(width: int, fraction: float | None) -> tuple[int, bool]:
    """(whole cells filled, a half cell after them) of a bar `width` cells wide at this fraction (None: empty)."""
    if fraction is None or width <= 0:
        return 0, False
    halves = int(fraction * width * 2)  # rounded down: a bar shows 100 % only when it is
    return halves // 2, bool(halves % 2)


def bar_segments(width: int, fraction: float | None, fill: Style, track: Style) -> list[Segment]:
    """The bar's cells: filled in `fill`, a half cell where it ends inside one, the rest of the track in `track`."""
    whole, half = bar_cells(width, fraction)
    segments = [Segment(BAR * whole + (HALF_RIGHT if half else ""), fill)] if whole or half else []
    rest = width - whole - half
    if rest > 0:
        start = HALF_LEFT if whole and not half else BAR
        segments.append(Segment(start + BAR * (rest - 1), track))
    return segments


def percent_text(fraction: float | None) -> str:
    """The percentage as shown after a bar, right-aligned in PERCENT_WIDTH cells ("--%" while unknown)."""
    text = "--%" if fraction is None else f"{int(fraction * 100)}%"
    return text.rjust(PERCENT_WIDTH)


def bar_widths(total: int, count: int) -> list[int]:
    """Split `total` cells between `count` bars as evenly as whole cells allow (the earlier ones get no more)."""
    if count <= 0:
        return []
    edges = [max(0, total) * i // count for i in range(count + 1)]
    return [edges[i + 1] - edges[i] for i in range(count)]


class ProgressRow(Widget):
    """Labelled progress bars side by side on one line ("epoch ━━━╸    42%  run ━      7%"), one widget: the
    line is built once per change of what it shows, never by a timer."""

    COMPONENT_CLASSES = {"progress-row--label", "progress-row--bar", "progress-row--complete", "progress-row--track"}

    DEFAULT_CSS = """
    ProgressRow {
        height: 1;
        & > .progress-row--label { color: $text-muted; }
        & > .progress-row--bar { color: $primary; }
        & > .progress-row--complete { color: $success; }
        & > .progress-row--track { color: $surface; }
    }
    """

    def __init__(self, *labels: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.bars: dict[str, BarState] = {label: BarState(label) for label in labels}
        """Each bar's state by its label, in the order drawn."""
        self._line: Strip | None = None
        self._built_for: tuple | None = None
        """(what the line shows, the widget's style) when the line was built."""

    def update(self, label: str, *, total: float | None | object = KEEP, progress: float | None = None) -> None:
        """Set a bar's total (None: unknown; leave it as it is by not passing one) and/or its progress; the row
        repaints only if a cell it shows changes."""
        bar = self.bars[label]
        if total is not KEEP:
            bar.total = total  # type: ignore[assignment]
        if progress is not None:
            bar.progress = progress
        if self._built_for is not None and self._key() != self._built_for[0]:
            self.refresh()

    def complete(self) -> None:
        """Fill every bar whose total is known (a run that finished)."""
        for label, bar in self.bars.items():
            if bar.total is not None:
                self.update(label, progress=bar.total)

    def _layout(self) -> list[tuple[BarState, int]]:
        """Each bar with the cells its track gets: the width left after the labels and percentages, split evenly."""
        fixed = sum(len(label) + 2 * LABEL_PADDING + PERCENT_WIDTH for label in self.bars)
        widths = bar_widths(self.size.width - fixed, len(self.bars))
        return list(zip(self.bars.values(), widths))

    def _key(self) -> tuple:
        """What the line shows: the width and, per bar, its filled cells and its percentage text."""
        return (
            self.size.width,
            tuple((bar_cells(w, bar.percentage), percent_text(bar.percentage)) for bar, w in self._layout()),
        )

    def render(self) -> RenderResult:
        """The row as plain text (what render_line draws, without its colours)."""
        return "".join(segment.text for segment in self.render_line(0))

    def render_line(self, y: int) -> Strip:
        """The row's one line, built again only when what it shows (or the theme) changed since it was built."""
        base = self.visual_style.rich_style
        if y != 0:
            return Strip.blank(self.size.width, base)
        built_for = (self._key(), base)
        if self._line is None or built_for != self._built_for:
            self._line, self._built_for = self._build(base), built_for
        return self._line

    def notify_style_update(self) -> None:
        """The CSS or the theme changed: the colours of the next line are read again."""
        self._line = None
        super().notify_style_update()

    def _build(self, base: Style) -> Strip:
        def style(name: str) -> Style:
            return base + Style.from_color(self.get_component_rich_style(name).color)

        label, fill, done, track = (style(f"progress-row--{n}") for n in ("label", "bar", "complete", "track"))
        pad = " " * LABEL_PADDING
        segments: list[Segment] = []
        for bar, width in self._layout():
            fraction = bar.percentage
            segments.append(Segment(f"{pad}{bar.label}{pad}", label))
            segments.extend(bar_segments(width, fraction, done if fraction == 1.0 else fill, track))
            segments.append(Segment(percent_text(fraction), base))
        return Strip(segments).adjust_cell_length(self.size.width, base)
