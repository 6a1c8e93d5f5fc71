"""Snapshots of the Robustness view after every evaluation, at 80x24 and 120x40 (pytest-textual-snapshot)."""

from __future__ import annotations

import pytest
from helpers import wait_until
from robustness_fakes import FakeEvaluation, robustness_app

from tui_trainer.ui.screens.robustness import RobustnessScreen

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_robustness_view_after_all(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        app.push_screen(RobustnessScreen("runs/2026-12-02_02-45-47_lenet5_digits28", "lenet5 on digits28"))
        await pilot.pause()
        await pilot.press("a")
        screen = app.screen
        await wait_until(pilot, lambda: screen.attacks and screen.evaluation is None)
        await pilot.pause()

    assert snap_compare(robustness_app(FakeEvaluation()), terminal_size=size, run_before=run_before)
