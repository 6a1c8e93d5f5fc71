"""MatrixPlot draws exactly what textual-plotext draws: plotext's matrix read straight into Rich Text gives the same
characters and styles as parsing plotext's ANSI string, for lines, markers, ticks, titles and several themes; and
the widget's lines, made from the matrix directly, are the segments Textual makes of that Text."""

from __future__ import annotations

import math

import pytest
from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult
from textual.visual import Visual, visualize
from textual_plotext.plot import Plot

from tui_trainer.ui.widgets.matrix_plot import MatrixPlot, matrix_text

CONSOLE = Console(width=240, color_system="truecolor", force_terminal=True)


def _segments(text: Text) -> list[tuple[str, object]]:
    return [(s.text, s.style) for s in CONSOLE.render(text)]


@pytest.mark.parametrize("theme", ["clear", "dark", "pro", "matrix"])
@pytest.mark.parametrize(("width", "height", "curves"), [(20, 5, 0), (58, 14, 2), (117, 31, 3)])
def test_the_matrix_text_equals_the_parsed_ansi(theme: str, width: int, height: int, curves: int) -> None:
    plot = Plot()
    plot.plotsize(width, height)
    plot._set_size(width, height)
    plot.theme(theme)
    for k in range(curves):
        xs = list(range(3 + 40 * k))
        plot.plot(xs, [math.sin(x / 7 + k) for x in xs], color=(40 * k, 200 - 30 * k, 90), marker="braille")
    if curves:
        plot.scatter([1, 2, 3], [0.1, 0.5, -0.2], color="red", marker="x")
        plot.title("loss")
        plot.xticks([0, 10, 20])
    parsed = Text.from_ansi(plot.build())
    plot._set_sizes()
    plot._build_matrix()
    direct = matrix_text(plot.monitor.matrix)
    assert direct.plain == parsed.plain
    assert _segments(direct) == _segments(parsed)


class _PlotApp(App):
    CSS = "MatrixPlot { width: 58; height: 14; }"

    def compose(self) -> ComposeResult:
        yield MatrixPlot()


def _segment_keys(strips: list) -> list[list[tuple]]:
    return [
        [(s.text, s.style.color, s.style.bgcolor, s.style._attributes, s.style.meta) for s in strip] for strip in strips
    ]


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light", "nord"])
async def test_the_widgets_lines_are_the_segments_textual_makes_of_the_matrix_text(theme: str) -> None:
    app = _PlotApp()
    async with app.run_test() as pilot:
        app.theme = theme
        plot = app.query_one(MatrixPlot)
        xs = list(range(80))
        plot.plt.plot(xs, [math.sin(x / 7) for x in xs], marker="braille")
        plot.plt.scatter([3, 9], [0.2, -0.4], marker="x")
        plot.plt.title("loss")
        plot.refresh()
        await pilot.pause()
        lines = [plot.render_line(y) for y in range(14)]
        plot._build()
        textual = Visual.to_strips(
            plot, visualize(plot, matrix_text(plot.plt.monitor.matrix)), 58, 14, plot.visual_style
        )
        assert _segment_keys(lines) == _segment_keys(textual)
        before = "".join(s.text for s in lines[7])
        plot.plt.clear_data()
        plot.refresh()  # new data: the lines are built again
        after = "".join(s.text for s in plot.render_line(7))
        assert before != after and "⠉" not in after
