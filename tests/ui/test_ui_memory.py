"""A long session keeps what it shows, not all it ever showed: replaced widgets go, plots stay bounded."""

from __future__ import annotations

import gc
import weakref

import fakes
from fakes import FakeEngine, make_app
from helpers import wait_until
from textual.app import App, ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer as TextualFooter
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from tui_trainer.core.spec.events import BatchEnd, EpochEnd, EpochMetrics, RunEnded, RunStarted
from tui_trainer.core.spec.experiment import Experiment
from tui_trainer.ui.gc_tuning import GC_THRESHOLDS, MemorySettler
from tui_trainer.ui.overlays import Overlay
from tui_trainer.ui.run_history import MAX_EPOCHS, MAX_POINTS, RunHistory
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.curves import MAX_CURVE_POINTS, Curve, CurvePlot, thinned
from tui_trainer.ui.widgets.footer import Footer, forget_closed_watchers
from tui_trainer.ui.widgets.runs_table import RunsTable


class Parent(Widget):
    """A long-lived widget with a reactive its children bind to (as the Footer's compact)."""

    compact = reactive(False)


async def test_forget_closed_watchers_drops_only_the_watchers_of_closed_widgets() -> None:
    """child.watch(parent, ...) (what data_bind does) stays on the parent after the child is removed
    until the parent's reactive changes (textual#6666); forget_closed_watchers drops it at once."""

    class Host(App):
        def compose(self) -> ComposeResult:
            yield Parent()

    def watchers() -> list:
        return [owner for owner, _callback in getattr(parent, "__watchers")["compact"]]

    app = Host()
    async with app.run_test():
        parent = app.query_one(Parent)
        staying, going = Static("staying"), Static("going")
        await parent.mount(staying, going)
        for child in (staying, going):
            child.watch(parent, "compact", lambda _compact: None, init=False)
        await going.remove()
        assert watchers() == [staying, going]
        assert forget_closed_watchers(parent) == 1
        assert watchers() == [staying]
        assert forget_closed_watchers(parent) == 0
        assert forget_closed_watchers(staying) == 0  # a widget nobody watches


async def test_the_footer_lets_the_keys_of_its_recomposes_go() -> None:
    """Every focus change recomposes the footer; the keys it replaced used to stay alive forever
    (textual's FooterKey bound to Footer.compact): 57 -> 103 MB in ten minutes of use."""
    app = make_app(runs_dir=None)
    async with app.run_test(size=(100, 30)) as pilot:
        footer = app.query_one(TextualFooter)
        assert isinstance(footer, Footer)
        await wait_until(pilot, lambda: len(footer.query(FooterKey)) > 0, what="the footer's keys")
        first = [weakref.ref(key) for key in footer.query(FooterKey)]
        for key in "2345":
            await pilot.press(key)  # each tab moves the focus: new bindings, a recompose
        await wait_until(
            pilot, lambda: all(k() is None or not k().is_attached for k in first), what="the footer recomposed"
        )
        await pilot.pause()
        gc.collect()
        assert [k for k in first if k() is not None] == []


class Cycle:
    """An object in a reference cycle with itself: only a collection frees it."""

    def __init__(self) -> None:
        self.me = self


def test_a_settle_frees_frozen_garbage_once_the_frozen_set_has_grown() -> None:
    """Frozen objects are never collected: freezing at every run start kept every widget replaced
    afterwards. A settle unfreezes first once the frozen set grew by `growth` since its last full one."""
    before = gc.get_threshold()
    settler = MemorySettler(growth=0.01)
    try:
        assert settler.settle()  # the first one is full
        assert not settler.settle()  # nothing new: cheap
        cycles = [Cycle() for _ in range(gc.get_freeze_count() // 50 + 100)]  # 2 % more than frozen
        probe = weakref.ref(cycles[0])
        assert settler.settle()  # frozen now, and 2 % more than after the last full one: full (they live)
        del cycles
        gc.collect()
        assert probe() is not None  # frozen garbage: no collection sees it
        more = [Cycle() for _ in range(gc.get_freeze_count() // 50 + 100)]
        assert settler.settle()  # grown again: unfreeze, collect (the dead cycles go), freeze
        assert probe() is None and more
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def epoch_end(epoch: int, epochs: int, val_accuracy: float, val_loss: float = 1.0, train_loss: float = 1.0) -> EpochEnd:
    """An epoch of the fake's scripted 3-class report with the given numbers."""
    report = fakes.scripted_report(1)
    return EpochEnd(epoch, epochs, train_loss, 0.5, val_loss, val_accuracy, 0.01, 0.001, report)


def test_a_long_run_keeps_a_bounded_history() -> None:
    """10,000 epochs keep at most MAX_EPOCHS of them (the first and the newest among them), the counts
    and the best of all, the newest few in full for the overfitting warning, and no end history."""
    n = 10_000
    run = RunHistory(1, Experiment())
    run.add(RunStarted("cpu", 1234, 300, 60, 0, n, 1, 32, fakes.CLASSES, (2,)))
    history = []
    for epoch in range(1, n + 1):
        run.add(BatchEnd(epoch, 1, 1, epoch, 1.0 / epoch, 0.01, 1000.0, 0.001 * epoch))
        accuracy = 0.9 if epoch == 4321 else 0.5
        rising = 0.1 * epoch if epoch > n - 3 else 1.0  # val loss up for the last two epochs
        event = epoch_end(epoch, n, accuracy, val_loss=rising, train_loss=1.0 / epoch)
        history.append(event)
        run.add(event)
        assert len(run.epochs) <= MAX_EPOCHS and len(run.batch_loss.xs) <= MAX_POINTS
    assert run.epochs[0].epoch == 1 and run.epochs[-1].epoch == n
    assert [e.epoch for e in run.epochs] == sorted({e.epoch for e in run.epochs})
    assert run.epochs_done == n and run.best_val_accuracy == 0.9
    assert run.overfitting is not None  # val loss far above its best: held
    run.add(RunEnded("finished", f"trained {n} epochs", "", n, 9.0, history=tuple(history)))
    assert run.ended.history == () and run.ended.epochs_done == n and run.done


def test_a_plot_keeps_a_bounded_copy_of_each_curve() -> None:
    xs = [float(i) for i in range(10_000)]
    for n in (1, MAX_CURVE_POINTS, MAX_CURVE_POINTS + 1, 10_000):
        curve = Curve("val", xs[:n], xs[:n])
        kept = thinned(curve)
        assert len(kept.xs) == len(kept.ys) == min(n, MAX_CURVE_POINTS)
        assert kept.xs[0] == 0 and kept.xs[-1] == n - 1 and kept.xs == sorted(set(kept.xs))
        assert kept.xs is not curve.xs  # the caller's list may grow on; the plot's copy does not


async def test_the_plots_of_a_long_run_and_long_overlays_stay_bounded() -> None:
    """Every curve a Train-tab plot keeps has at most MAX_CURVE_POINTS points after 700 epochs (more
    than twice the bound) and with a saved 5,000-epoch run as an overlay."""
    engine = FakeEngine(epochs=700, batches=1)
    app = fakes.make_app(engine, runs_dir=None)
    rows = [EpochMetrics(e, 1.0, 0.5, 1.0 / e, 0.5, 0.01, 0.1) for e in range(1, 5_001)]
    async with app.run_test(size=(120, 40)) as pilot:
        app.runs.set_overlays({"saved": Overlay("saved run", app.experiment.data.name, rows)})
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app), timeout=120)
        run = app.query_one(TrainPane).current
        assert run.epochs_done == 700 and len(run.epochs) <= MAX_EPOCHS
        plots = list(app.query_one(TrainPane).query(CurvePlot))  # the Train tab's (the Sweep tab has its own)
        assert plots and all(len(c.xs) <= MAX_CURVE_POINTS for plot in plots for c in plot._curves)
        labels = {c.label: len(c.xs) for c in app.query_one("#acc-plot", CurvePlot)._curves}
        saved = next(n for label, n in labels.items() if label.startswith("saved run"))  # "(to epoch 700 of 5000)"
        assert saved == MAX_CURVE_POINTS and labels["val"] == len(run.epochs)
        # ... and each redraw hands plotext at most two points per column (a braille cell's dots)
        for plot in plots:
            assert plot.drawn_points and max(plot.drawn_points) <= plot.point_limit() <= 2 * plot.size.width


async def test_runs_older_than_the_previous_keep_only_their_row() -> None:
    """A session of many runs keeps the curves and epochs of the current run and of the previous one
    (drawn dimmed); older runs keep what the runs table shows."""
    app = fakes.make_app(FakeEngine(epochs=3), runs_dir=None)
    async with app.run_test(size=(120, 40)) as pilot:
        for run_id in (1, 2, 3):
            await pilot.press("s")
            await wait_until(pilot, lambda r=run_id: app.runs.run_id == r and fakes.run_drawn(app))
        first, previous, current = app.query_one(TrainPane).runs
        assert first.epochs == [] and not first.batch_loss.xs and first.epochs_done == 3
        assert first.best_val_accuracy == previous.best_val_accuracy and first.status == "finished"
        assert len(previous.epochs) == 3 and len(current.epochs) == 3
        labels = [c.label for c in app.query_one("#loss-plot", CurvePlot)._curves]
        assert labels[0] == "run 2 val"
        table = app.query_one(RunsTable)
        assert [str(table.get_row_at(i)[6]) for i in range(3)] == ["3", "3", "3"]  # epochs
