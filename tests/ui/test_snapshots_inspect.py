"""Snapshots of the inspection views at 80x24 and 120x40: the mistakes by loss, one cell, one sample, the layers."""

from __future__ import annotations

import pytest
from fakes import make_app
from helpers import wait_until
from inspections import inspection

from tui_trainer.ui.screens.inspect import InspectScreen
from tui_trainer.ui.screens.layers_view import LayersView
from tui_trainer.ui.screens.sample_detail import SampleDetail
from tui_trainer.ui.widgets.confusion_picker import ConfusionPicker

SIZES = [(80, 24), (120, 40)]


async def _open(pilot, tabular: bool = False) -> InspectScreen:
    app = pilot.app
    await pilot.app.workers.wait_for_complete()
    screen = InspectScreen("run 1: mlp on pets", inspection=inspection(tabular=tabular))
    await app.push_screen(screen)
    await wait_until(pilot, lambda: screen.highlighted is not None, what="the list")
    await pilot.pause()
    return screen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_mistakes_by_loss(snap_compare, size) -> None:
    async def run_before(pilot) -> None:
        await _open(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_one_confusion_cell(snap_compare, size) -> None:
    async def run_before(pilot) -> None:
        screen = await _open(pilot, tabular=True)
        screen.query_one(ConfusionPicker).focus()
        await pilot.press("down", "right", "right")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_an_opened_sample(snap_compare, size) -> None:
    async def run_before(pilot) -> None:
        screen = await _open(pilot)
        await pilot.app.push_screen(SampleDetail(screen.highlighted, screen.inspection))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_layers(snap_compare, size) -> None:
    async def run_before(pilot) -> None:
        await _open(pilot)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LayersView), what="the layers")
        await wait_until(pilot, lambda: len(pilot.app.screen.query("#maps ImageGrid")) == 2, what="the maps")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
