"""The Train tab's progress row: what a bar shows at each fraction (the characters of Textual's ProgressBar), the
width split between bars, a repaint only when a drawn cell changes, and no timer of its own."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from tui_trainer.ui.widgets.progress_row import ProgressRow, bar_cells, bar_widths, percent_text


@pytest.mark.parametrize(
    ("width", "fraction", "expected"),
    [
        (10, None, (0, False)),
        (10, 0.0, (0, False)),
        (10, 0.05, (0, True)),
        (10, 0.5, (5, False)),
        (10, 0.55, (5, True)),
        (10, 0.999, (9, True)),
        (10, 1.0, (10, False)),
        (0, 0.5, (0, False)),
    ],
)
def test_a_bar_fills_whole_and_half_cells_rounded_down(width, fraction, expected) -> None:
    assert bar_cells(width, fraction) == expected


def test_the_percentage_says_100_only_when_done() -> None:
    assert [percent_text(f) for f in (None, 0.0, 0.426, 0.999, 1.0)] == ["  --%", "   0%", "  42%", "  99%", " 100%"]


@pytest.mark.parametrize(("total", "count"), [(0, 2), (1, 2), (57, 2), (58, 2), (100, 3), (-4, 2)])
def test_the_bars_share_the_width_within_one_cell(total, count) -> None:
    widths = bar_widths(total, count)
    assert len(widths) == count and sum(widths) == max(0, total) and max(widths) - min(widths) <= 1


class OneRow(App):
    def compose(self) -> ComposeResult:
        yield ProgressRow("epoch", "run")


async def test_the_row_draws_both_bars_and_repaints_only_for_a_changed_cell(monkeypatch) -> None:
    builds = []
    real_build = ProgressRow._build
    monkeypatch.setattr(ProgressRow, "_build", lambda self, base: builds.append(1) or real_build(self, base))
    app = OneRow()
    async with app.run_test(size=(60, 3)) as pilot:
        row = app.query_one(ProgressRow)
        await pilot.pause()
        assert row.render_line(0).text == " epoch " + "━" * 19 + "  --% run " + "━" * 19 + "  --%"
        row.update("epoch", total=1000, progress=500)
        row.update("run", total=4000, progress=500)
        await pilot.pause()
        text = row.render_line(0).text
        assert text.startswith(" epoch " + "━" * 9 + "╸" + "━" * 9 + "  50% run ")
        assert text.endswith("  12%") and len(text) == 60
        drawn = len(builds)
        row.update("epoch", progress=501)  # neither a half cell nor a whole percent: nothing to repaint
        await pilot.pause()
        row.render_line(0)
        assert len(builds) == drawn
        row.update("epoch", progress=580)
        await pilot.pause()
        assert row.render_line(0).text.startswith(" epoch " + "━" * 11 + "╺") and len(builds) == drawn + 1
        row.complete()
        await pilot.pause()
        assert row.render_line(0).text.count("100%") == 2
        assert not row._timers  # no clock of its own: a static row costs no frames
