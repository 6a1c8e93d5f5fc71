"""Snapshots of the views of issue 12's parts 3-5 at 80x24 and 120x40: the learning-rate finder, the lr plot with a
change by hand, the decision boundary."""

from __future__ import annotations

import pytest
from fakes import FakeEngine, fake_backend
from helpers import wait_until
from test_lr_finder_screen import synthetic_finding
from test_snapshots import scripted_events, settle

from tui_trainer.core.spec.events import BatchEnd, LrChanged
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.lr_finder import LrFinderScreen
from tui_trainer.ui.tabs.train import TrainPane

SIZES = [(80, 24), (120, 40)]


def snapshot_app() -> TrainerApp:
    return TrainerApp(backend=fake_backend(FakeEngine(epochs=4), lr_finder=lambda experiment: synthetic_finding()))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_lr_finder(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        await pilot.press("4", "f")
        await wait_until(pilot, lambda: isinstance(app.screen, LrFinderScreen) and app.screen.finding is not None)
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=size, run_before=run_before)


def with_a_change(events: list) -> list:
    """The fake run's events with the rate halved by hand at epoch 2, batch 3 (later batches report it)."""
    out, lr = [], 0.01
    for event in events:
        if isinstance(event, BatchEnd) and (event.epoch, event.batch) == (2, 3):
            out.append(LrChanged(2, 3, event.step - 1, lr, lr / 2))
            lr /= 2
        if isinstance(event, BatchEnd) and lr != event.lr:
            event = BatchEnd(**{**vars(event), "lr": lr})
        out.append(event)
    return out


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_lr_plot_with_a_change_by_hand(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        pane = app.query_one(TrainPane)
        await settle(pilot)
        await pilot.press("4")
        pane.begin_run(app.experiment, 1)
        for event in with_a_change(scripted_events(FakeEngine(epochs=4), app.experiment)):
            pane.handle_event(event)
        if size[1] < 40:
            await pilot.press("v")  # the details page: the lr plot
        await settle(pilot)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=size, run_before=run_before)


def synthetic_boundary(epoch: int = 4):
    """A made-up 3-class map (classes by angle) with points on three arms: no torch in the UI tests."""
    import math

    from tui_trainer.core.spec.boundary import BoundaryMap, grid_axes

    xs = grid_axes(-2.0, 2.0, 64)
    ys = tuple(reversed(grid_axes(-2.0, 2.0, 48)))

    def label(x: float, y: float) -> int:
        return int(((math.atan2(y, x) + math.pi) / (2 * math.pi) * 3 + math.hypot(x, y)) % 3)

    classes = tuple(tuple(label(x, y) for x in xs) for y in ys)
    points = []
    for k in range(3):
        for i in range(30):
            r = 0.2 + 1.7 * i / 30
            a = 2 * math.pi * k / 3 + r
            points.append((r * math.cos(a), r * math.sin(a), k))
    return BoundaryMap(epoch, xs, ys, classes, ("cat", "dog", "bird"), tuple(points))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_decision_boundary_on_the_train_tab(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        pane = app.query_one(TrainPane)
        await settle(pilot)
        await pilot.press("4")
        pane.begin_run(app.experiment, 1)
        for event in scripted_events(FakeEngine(epochs=4), app.experiment):
            pane.handle_event(event)
        pane.handle_event(synthetic_boundary())
        await pilot.press("d")
        await settle(pilot)
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_saved_runs_boundary(snap_compare, size: tuple[int, int]) -> None:
    from tui_trainer.ui.screens.boundary import BoundaryScreen

    app = snapshot_app()
    app.backend.boundary = lambda run_dir: synthetic_boundary(12)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("5")
        app.show_saved_boundary("runs/2026-12-02_03-12-05_mlp_moons")
        await wait_until(pilot, lambda: isinstance(app.screen, BoundaryScreen) and app.screen.boundary is not None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
