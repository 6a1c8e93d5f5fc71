"""The inspection screens: the live run's (Train tab `i`), a saved run's (Runs tab `i`), cells, samples, layers."""

from __future__ import annotations

from pathlib import Path

from fakes import fake_backend
from helpers import experiment, wait_until
from inspections import InspectingEngine, inspection
from saved_runs import saved_run
from textual.widgets import DataTable, Static

from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.inspect import InspectScreen
from tui_trainer.ui.screens.layers_view import LayersView, filter_images
from tui_trainer.ui.screens.sample_detail import SampleDetail
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.confusion_picker import ConfusionPicker
from tui_trainer.ui.widgets.probability_bars import ProbabilityBars, bar_lines


async def _inspect_live(pilot, app) -> InspectScreen:
    await pilot.press("4", "s")
    pane = app.query_one(TrainPane)
    await wait_until(pilot, lambda: pane.current is not None and pane.current.done, what="the run's end")
    await pilot.press("i")
    await wait_until(pilot, lambda: isinstance(app.screen, InspectScreen), what="the inspection")
    return app.screen


def _listed(screen: InspectScreen) -> list[tuple[str, str]]:
    table = screen.query_one("#inspect-list", DataTable)
    return [(str(table.get_row_at(r)[1]), str(table.get_row_at(r)[0])) for r in range(table.row_count)]


async def test_the_train_tab_opens_the_live_runs_mistakes_by_loss_and_a_cell_lists_exactly_its_samples() -> None:
    engine = InspectingEngine(epochs=3)
    app = TrainerApp(backend=fake_backend(engine))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _inspect_live(pilot, app)
        assert engine.requests[-1].inspect  # the app asks its runs for inspections
        ins = app.query_one(TrainPane).current.inspection
        assert screen.inspection is ins and ins.epoch == 3
        wrong = ins.wrong()
        assert [i for i, _ in _listed(screen)] == [str(s.index) for s in wrong]
        losses = [float(loss) for _, loss in _listed(screen)]
        assert losses == sorted(losses, reverse=True) and len(losses) == ins.n_wrong
        screen.query_one(ConfusionPicker).focus()
        await pilot.press("down", "right", "right")  # from (0, 1): true dog, predicted bird
        await pilot.pause()
        assert screen.cell == (1, 2)
        assert len(_listed(screen)) == ins.confusion[1][2] == 3
        assert "true dog predicted as bird: 3 samples" in str(screen.query_one("#inspect-cell", Static).render())
        await pilot.press("left")
        await pilot.pause()
        assert screen.cell == (1, 1) and len(_listed(screen)) == 2  # a diagonal cell: its least confident
        await pilot.press("a")
        await pilot.pause()
        assert screen.cell is None and len(_listed(screen)) == ins.n_wrong


async def test_opening_a_sample_shows_every_class_probability_and_the_layers_their_filters() -> None:
    app = TrainerApp(backend=fake_backend(InspectingEngine(epochs=2)))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _inspect_live(pilot, app)
        first = screen.highlighted
        screen.query_one("#inspect-list", DataTable).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SampleDetail), what="the sample")
        bars = app.screen.query_one(ProbabilityBars)
        assert bars.sample is first
        lines = str(bars.render()).splitlines()
        assert len(lines) == 3 and all(name in line for name, line in zip(("cat", "dog", "bird"), lines, strict=True))
        assert "true" in lines[first.true] and "predicted" in lines[first.pred]
        assert f"{first.p_pred:6.1%}" in lines[first.pred]
        await pilot.press("escape")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LayersView), what="the layers")
        assert "4 filters, 1x3x3 each" in str(app.screen.query_one("#filters-title", Static).render())
        assert len(app.screen.query("#maps ImageGrid")) == 2


def test_probability_bars_are_scaled_to_the_probability():
    ins = inspection()
    sample = ins.samples[0]
    rows = bar_lines(sample, ins.class_names, 40)
    for (_, bar, percent, _), p in zip(rows, sample.probs, strict=True):
        assert abs(len(bar.rstrip()) - p * 40) <= 1
        assert percent.strip() == f"{p:.1%}"


def test_a_filter_image_is_its_weights_stretched_over_their_range():
    view = inspection().layers
    rows, caption = filter_images(view)[0]
    weights = [v for row in view.filter(0)[0] for v in row]
    factor = len(rows) // 3
    greys = [rows[y * factor][x * factor][0] for y in range(3) for x in range(3)]
    assert (
        caption == "#0"
        and greys.index(255) == weights.index(max(weights))
        and greys.index(0) == weights.index(min(weights))
    )


async def test_the_runs_tab_inspects_a_saved_run_where_training_runs(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    path, _ = saved_run(root, experiment(name="mlp", dataset="moons"), epochs_done=2)
    asked: list[tuple] = []

    def inspect(run_dir: str, checkpoint: str, sample: int):
        asked.append((run_dir, checkpoint, sample))
        return inspection(epoch=2) if checkpoint == "best" else "there is no checkpoint last.pt"

    app = TrainerApp(backend=fake_backend(inspect=inspect), runs_dir=str(root))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_until(pilot, lambda: app.query_one("#runs-list", DataTable).row_count == 1, what="the listing")
        await pilot.press("i")
        await wait_until(
            pilot, lambda: isinstance(app.screen, InspectScreen) and app.screen.inspection is not None, what="loaded"
        )
        assert asked == [(str(path), "best", 0)]
        assert "epoch 2 of the run: 11 of" in str(app.screen.query_one("#inspect-title", Static).render())
        await pilot.press("c")
        await wait_until(pilot, lambda: len(asked) == 2, what="last.pt asked for")
        title = app.screen.query_one("#inspect-title", Static)
        await wait_until(pilot, lambda: "there is no checkpoint last.pt" in str(title.render()), what="the message")
