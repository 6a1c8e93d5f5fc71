"""The Train tab's decision boundary: d shows the newest map of a 2-D run in place of the confusion matrix."""

from __future__ import annotations

from fakes import CLASSES, FakeEngine, make_app, run_drawn
from helpers import wait_until
from test_snapshots_lr_boundary import synthetic_boundary

from tui_trainer.core.spec.events import RunStarted
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.boundary import BoundaryView, cells, picks


class MapEngine(FakeEngine):
    """The fake run, then a BoundaryMap after its last epoch (as the engine sends one), on 2-D or image samples."""

    def __init__(self, shape=(2,)) -> None:
        super().__init__(epochs=2)
        self.shape = shape

    def __call__(self, request, *, on_event, should_stop):
        def forward(event):
            if isinstance(event, RunStarted):
                event = RunStarted(**{**vars(event), "input_shape": self.shape})
            if type(event).__name__ == "RunEnded" and self.shape == (2,):
                on_event(synthetic_boundary(2))
            on_event(event)

        return super().__call__(request, on_event=forward, should_stop=should_stop)


async def test_d_shows_the_runs_newest_map() -> None:
    app = make_app(MapEngine())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "s")
        await wait_until(pilot, lambda: run_drawn(app))
        pane = app.query_one(TrainPane)
        assert pane.current.boundary is not None and pane.current.boundary.epoch == 2
        view = app.query_one(BoundaryView)
        assert not view.display or not pane.has_class("-boundary")
        await pilot.press("d")
        await wait_until(pilot, lambda: view.boundary is pane.current.boundary and view.content_size.width > 0)
        assert pane.has_class("-boundary") and app.query_one("#confusion").display is False and view.display
        text = view.render_map(view.boundary, 20, 8)
        assert len(text.plain.splitlines()) == 8 and all(len(line) == 20 for line in text.plain.splitlines())
        await pilot.press("d")
        assert not pane.has_class("-boundary")


async def test_d_says_why_on_data_off_the_plane() -> None:
    app = make_app(MapEngine(shape=(1, 8, 8)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "s")
        await wait_until(pilot, lambda: run_drawn(app))
        await pilot.press("d")
        await wait_until(pilot, lambda: any("2 features" in n.message for n in app._notifications))
        assert not app.query_one(TrainPane).has_class("-boundary")


def test_cells_sample_the_grid_and_place_the_points():
    boundary = synthetic_boundary()
    grid, points = cells(boundary, 16, 6)
    rows, columns = picks(len(boundary.ys), 12), picks(len(boundary.xs), 16)
    assert grid == [[boundary.classes[r][c] for c in columns] for r in rows]
    assert set(points.values()) <= {0, 1, 2} and points
    assert all(0 <= half < 12 and 0 <= column < 16 for half, column in points)
    assert CLASSES == boundary.class_names


async def test_a_saved_runs_boundary_comes_from_the_backend(tmp_path) -> None:
    app = make_app()
    asked: list[str] = []

    def boundary(run_dir: str):
        asked.append(run_dir)
        return synthetic_boundary(7) if run_dir.endswith("good") else "it trained on samples of shape 1x8x8"

    app.backend.boundary = boundary
    from tui_trainer.ui.screens.boundary import BoundaryScreen

    async with app.run_test(size=(100, 30)) as pilot:
        app.show_saved_boundary(tmp_path / "good")
        await wait_until(pilot, lambda: isinstance(app.screen, BoundaryScreen) and app.screen.boundary is not None)
        assert app.screen.query_one(BoundaryView).boundary.epoch == 7
        await pilot.press("escape")
        app.show_saved_boundary(tmp_path / "bad")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, BoundaryScreen) and "1x8x8" in app.screen.problem,
        )
    assert asked == [str(tmp_path / "good"), str(tmp_path / "bad")]
