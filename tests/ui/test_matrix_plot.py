"""MatrixPlot draws exactly what textual-plotext draws: plotext's matrix read straight into Rich Text gives the same
characters and styles as parsing plotext's ANSI string, for lines, markers, ticks, titles and several themes."""

from __future__ import annotations

import math

import pytest
from rich.console import Console
from rich.text import Text
from textual_plotext.plot import Plot

from tui_trainer.ui.widgets.matrix_plot import matrix_text

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
