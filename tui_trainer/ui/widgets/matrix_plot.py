"""A textual-plotext plot drawn from plotext's character matrix straight into the widget's lines: the same characters
and styles as textual-plotext's render, without plotext writing an ANSI string that Rich parses back and Textual
wraps and re-styles (the bulk of a live plot's redraw)."""

from __future__ import annotations

from collections.abc import Iterator

from rich.ansi import AnsiDecoder
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.app import RenderResult
from textual.geometry import Size
from textual.strip import Strip
from textual_plotext import PlotextPlot

_STYLES: dict[str, Style] = {}
"""A cell's Rich style by its plotext colours (foreground, style, background): a plot has a handful."""


def cell_style(fullground: object, style: object, background: object) -> Style:
    """The Rich style of a run of cells with these plotext colours: the style Rich reads from the ANSI codes plotext
    writes for them (so a plot looks as textual-plotext draws it)."""
    key = repr((fullground, style, background))
    found = _STYLES.get(key)
    if found is None:
        from plotext._utility import colors_to_ansi

        line = AnsiDecoder().decode_line(colors_to_ansi(fullground, style, background) + "x")
        found = _STYLES[key] = line.spans[0].style if line.spans else Style.null()  # type: ignore[assignment]
    return found


def colour_runs(matrix: object) -> Iterator[tuple[list[str], list[tuple[int, int, Style]]]]:
    """plotext's built matrix (markers and three colour layers, bottom row first) row by row, top row first: each
    row's characters and its runs of cells that share their colours, as (start, end, Rich style)."""
    markers, fgs, styles, bgs = matrix.marker, matrix.fullground, matrix.style, matrix.background  # type: ignore[attr-defined]
    for r in range(len(markers) - 1, -1, -1):
        marker, fg, st, bg = markers[r], fgs[r], styles[r], bgs[r]
        runs: list[tuple[int, int, Style]] = []
        start = 0
        cols = len(marker)
        for c in range(1, cols + 1):
            if c == cols or fg[c] != fg[start] or st[c] != st[start] or bg[c] != bg[start]:
                runs.append((start, c, cell_style(fg[start], st[start], bg[start])))
                start = c
        yield marker, runs


def matrix_text(matrix: object) -> Text:
    """plotext's built matrix as one Text, a line per row, a span per run of cells that share their colours."""
    rows: list[str] = []
    spans: list[Span] = []
    offset = 0
    for marker, runs in colour_runs(matrix):
        spans.extend(Span(offset + start, offset + end, style) for start, end, style in runs if style)
        rows.append("".join(marker) + "\n")  # every row ends with one, the last too (as plotext's string does)
        offset += len(marker) + 1
    return Text("".join(rows), spans=spans)


def matrix_strips(matrix: object, base: Style) -> list[Strip]:
    """plotext's built matrix as the widget's lines, top row first: the segments Textual makes of matrix_text (one per
    span, each styled base, the widget's own style, + the span's), made without matrix_text."""
    strips: list[Strip] = []
    combined: dict[Style, Style] = {}
    for marker, runs in colour_runs(matrix):
        segments: list[Segment] = []
        previous_plain = False
        for start, end, style in runs:
            text = "".join(marker[start:end])
            if not style and previous_plain:  # runs without a style of their own (no span) share one segment
                segments[-1] = Segment(segments[-1].text + text, segments[-1].style)
            else:
                full = combined.get(style)
                if full is None:
                    full = combined[style] = base + style
                segments.append(Segment(text, full))
            previous_plain = not style
        strips.append(Strip(segments, len(marker)).apply_offsets(0, len(strips)))  # the offsets text selection reads
    return strips


class MatrixPlot(PlotextPlot):
    """PlotextPlot whose lines are read from plotext's matrix (matrix_strips) instead of parsing its ANSI output:
    built once per refresh (new data, a new size or theme), then each line handed out as it is."""

    _strips: list[Strip] | None = None
    _built_for: tuple[Size, Style] | None = None

    def refresh(self, *regions, repaint: bool = True, layout: bool = False, recompose: bool = False):  # noqa: ANN002, ANN201
        """Refresh the widget; its lines are built again when next drawn (whatever changed)."""
        self._strips = None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def render(self) -> RenderResult:
        """The figure at the widget's size and theme as Text (what textual-plotext's render gives; lines are drawn
        by render_line, without it)."""
        self._build()
        return matrix_text(self.plt.monitor.matrix)

    def render_line(self, y: int) -> Strip:
        """Line y of the figure, built with the others when the widget was refreshed or resized since."""
        base = self.visual_style.rich_style
        if self._strips is None or self._built_for != (self.size, base):
            self._build()
            self._strips = matrix_strips(self.plt.monitor.matrix, base)
            self._built_for = (self.size, base)
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, base)

    def _build(self) -> None:
        """Build plotext's matrix at the widget's size and theme (as textual-plotext's render does)."""
        plot = self.plt
        width, height = self.size.width, self.size.height
        plot.plotsize(width, height)
        plot._set_size(width, height)  # as textual-plotext's render does (its issue 5)
        plot.theme(self._get_plotext_theme_name(self.app.theme))
        plot._set_sizes()
        plot._build_matrix()
