"""A textual-plotext plot drawn from plotext's character matrix straight into a Rich Text: the same characters and
styles as textual-plotext's render, without plotext writing an ANSI string and Rich parsing it back (the bulk of
a live plot's redraw)."""

from __future__ import annotations

from rich.ansi import AnsiDecoder
from rich.style import Style
from rich.text import Span, Text
from textual.app import RenderResult
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


def matrix_text(matrix: object) -> Text:
    """plotext's built matrix (markers and three colour layers, bottom row first) as one Text, a line per row, a
    span per run of cells that share their colours."""
    rows: list[str] = []
    spans: list[Span] = []
    offset = 0
    markers, fgs, styles, bgs = matrix.marker, matrix.fullground, matrix.style, matrix.background  # type: ignore[attr-defined]
    for r in range(len(markers) - 1, -1, -1):
        marker, fg, st, bg = markers[r], fgs[r], styles[r], bgs[r]
        start = 0
        cols = len(marker)
        for c in range(1, cols + 1):
            if c == cols or fg[c] != fg[start] or st[c] != st[start] or bg[c] != bg[start]:
                style = cell_style(fg[start], st[start], bg[start])
                if style:
                    spans.append(Span(offset + start, offset + c, style))
                start = c
        rows.append("".join(marker) + "\n")  # every row ends with one, the last too (as plotext's string does)
        offset += cols + 1
    return Text("".join(rows), spans=spans)


class MatrixPlot(PlotextPlot):
    """PlotextPlot whose render reads plotext's matrix (matrix_text) instead of parsing its ANSI output."""

    def render(self) -> RenderResult:
        """Build the figure at the widget's size and theme, then its matrix as Text."""
        plot = self.plt
        width, height = self.size.width, self.size.height
        plot.plotsize(width, height)
        plot._set_size(width, height)  # as textual-plotext's render does (its issue 5)
        plot.theme(self._get_plotext_theme_name(self.app.theme))
        plot._set_sizes()
        plot._build_matrix()
        return matrix_text(plot.monitor.matrix)
