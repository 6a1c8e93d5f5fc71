"""The Train tab at a glance: at 80x24 and 100x30 the status, progress, loss, accuracy and confusion matrix (with
macro F1) show together without scrolling; the details are one key away; the footer keeps start, stop, quit."""

from __future__ import annotations

import fakes
import pytest
from fakes import FakeEngine, make_app
from helpers import wait_until
from textual.widget import Widget

from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.curves import CurvePlot, value_ticks
from tui_trainer.ui.widgets.footer import RunKeysFooter

GLANCE = ("#status", "#progress-row", "#loss-plot", "#acc-plot", "#confusion", "#metrics-title")
DETAILS = ("#lr-plot", "#class-metrics", "#session-runs")


def wholly_on_screen(app, widget: Widget) -> bool:
    """Shown, with all of its region inside the screen (nothing cut off, nothing to scroll to)."""
    region = widget.region
    return widget.display and widget.visible and region.area > 0 and app.screen.region.contains_region(region)


def part(app, selector: str) -> Widget:
    """A widget of the Train tab."""
    return app.query_one(TrainPane).query_one(selector)


def footer_text(app) -> str:
    return " ".join(str(key.render()) for key in app.query_one(RunKeysFooter).children)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_glance_fits_without_scrolling(size) -> None:
    app = make_app(FakeEngine(epochs=4))
    async with app.run_test(size=size) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app))
        for selector in GLANCE:
            assert wholly_on_screen(app, part(app, selector)), selector
        assert "macro F1" in str(app.query_one("#metrics-title").render())
        for plot in ("#loss-plot", "#acc-plot"):
            assert app.query_one(plot, CurvePlot).region.height >= 5, plot
        for selector in DETAILS:  # one key away
            assert not wholly_on_screen(app, part(app, selector)), selector
        await pilot.press("v")
        await wait_until(pilot, lambda: all(wholly_on_screen(app, part(app, s)) for s in DETAILS))
        assert not app.query_one("#loss-plot").display or not wholly_on_screen(app, app.query_one("#loss-plot"))
        await pilot.press("v")
        await wait_until(pilot, lambda: wholly_on_screen(app, app.query_one("#confusion")))


@pytest.mark.parametrize("size", [(120, 40), (160, 45)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_tall_terminals_show_both_pages(size) -> None:
    app = make_app(FakeEngine(epochs=4))
    async with app.run_test(size=size) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app))
        for selector in GLANCE + DETAILS:
            assert wholly_on_screen(app, part(app, selector)), selector
        assert "More" not in footer_text(app)  # nothing left to toggle


@pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5", "question_mark"])
async def test_the_footer_always_shows_start_stop_and_quit_at_80_columns(tab) -> None:
    app = make_app(FakeEngine(epochs=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(tab)
        await pilot.pause()
        keys = app.query_one(RunKeysFooter).children
        shown = [str(k.render()) for k in keys if k.region.right <= 80 and k.region.area > 0]
        text = " ".join(shown)
        for words in ("s Start", "x Stop", "q Quit"):
            assert words in text, (tab, text)


async def test_b_shows_the_raw_batch_losses() -> None:
    app = make_app(FakeEngine(epochs=2))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app))
        pane = app.query_one(TrainPane)
        plot = app.query_one("#loss-plot", CurvePlot)
        assert plot._curves[-3].label == "batch avg"
        await pilot.press("b")
        batch = next(c for c in plot._curves if c.label == "batch (raw)")
        assert batch.ys == pane.current.raw_batch_loss.ys
        assert "batch (raw)" in str(app.query_one(".plot-legend").render())


def test_tick_labels_are_their_values_and_short_for_small_learning_rates() -> None:
    """The lr plot labelled 0.001..0.002 as 1.00e-03..2.00e-03; tiny rates stay short and exact at their rows."""
    values, labels = value_ticks(0.001, 0.002, 5)
    assert labels == ["0.00100", "0.00125", "0.00150", "0.00175", "0.00200"]
    values, labels = value_ticks(1e-5, 1e-4, 5)
    assert labels == ["1e-5", "3.25e-5", "5.5e-5", "7.75e-5", "1e-4"]
    assert [float(label) for label in labels] == pytest.approx(values, rel=1e-12)
    assert value_ticks(0.0, 1e-6, 5)[1] == ["0", "2.5e-7", "5e-7", "7.5e-7", "1e-6"]
