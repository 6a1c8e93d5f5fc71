"""Guard rails of the live dashboard: plot redraws capped whatever the event rate; no torch op on the UI thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import fakes
import pytest
from fakes import CLASSES
from helpers import SimulatedClock, wait_for, wait_until

from tui_trainer.core.spec.events import BatchEnd, RunEnded, RunStarted
from tui_trainer.ui.tabs.train import REDRAW_INTERVAL_S, TrainPane
from tui_trainer.ui.widgets.curves import CurvePlot

FLOOD_EVENTS = 1000
"""BatchEnd events of the flood..."""
EVENT_S = 0.001
"""...each 1 ms of simulated time after the one before: 1,000 events per simulated second."""
CHUNK = 50
"""The flood waits after every CHUNK events until the dashboard has handled them and ticked once more,
so it gets FLOOD_EVENTS / CHUNK chances to redraw (more than its cap allows) however busy the machine is."""


class FloodEngine:
    """Emits BatchEnd events far above any real emit rate, advancing the Train tab's simulated clock."""

    def __init__(self, clock: SimulatedClock, handled, ticked) -> None:
        self.clock = clock
        self.handled, self.ticked = handled, ticked
        self.sent = 0

    def __call__(self, request, *, on_event, should_stop):
        on_event(RunStarted("cpu", 10, 1000, 100, 0, 1, 10**9, 1, CLASSES, (2,)))
        while self.sent < FLOOD_EVENTS and not should_stop():
            self.sent += 1
            self.clock.advance(EVENT_S)
            on_event(BatchEnd(1, self.sent, 10**9, self.sent, 1.0 / self.sent, 0.01, 1e6, self.sent * EVENT_S))
            if self.sent % CHUNK == 0:
                wait_for(lambda: self.handled() >= self.sent, what="the dashboard handling the flood")
                ticks = self.ticked()
                wait_for(lambda mark=ticks: self.ticked() > mark, what="a tick of the dashboard")
        end = RunEnded("stopped", "flood over")
        on_event(end)
        return end


async def test_plot_redraws_are_capped_whatever_the_event_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redraws are counted per simulated second: no wall clock anywhere."""
    draws: list[str | None] = []  # the id of the plot each redraw drew
    ticks = [0]
    real_show, real_tick = CurvePlot.show, TrainPane._tick

    def counting_show(self, curves, *args, **kwargs):
        draws.append(self.id)
        real_show(self, curves, *args, **kwargs)

    def counting_tick(self):
        real_tick(self)
        ticks[0] += 1

    monkeypatch.setattr(CurvePlot, "show", counting_show)
    monkeypatch.setattr(TrainPane, "_tick", counting_tick)
    clock = SimulatedClock()
    panes: list[TrainPane] = []

    def handled() -> int:
        run = panes[0].current
        return run.last_batch.step if run is not None and run.last_batch is not None else 0

    engine = FloodEngine(clock, handled, lambda: ticks[0])
    app = fakes.make_app(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TrainPane)
        pane.use_clock(clock)
        panes.append(pane)
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app))
        redraws = len(draws)
    plots = 3
    simulated_s = engine.sent * EVENT_S
    assert engine.sent == FLOOD_EVENTS and clock.now == pytest.approx(simulated_s)
    # Uncapped, each chunk's tick would redraw: at least 2 plots x FLOOD_EVENTS / CHUNK = 40 redraws.
    assert ticks[0] >= FLOOD_EVENTS // CHUNK  # each chunk waited for a tick of its own
    # Capped: one redraw per interval of the cap (REDRAW_INTERVAL_S less the timer's slack) of simulated
    # time (+1: the first is always ready), and the unthrottled ones at the run's start and end.
    assert pane.redraws.interval <= REDRAW_INTERVAL_S
    assert 0 < redraws <= plots * (simulated_s / pane.redraws.interval + 3)
    # The lr plot has a slower cap of its own (its rate is constant here: every LR_IDLE_S).
    assert 0 < draws.count("lr-plot") <= simulated_s / pane.lr_idle_redraws.interval + 3
    assert pane.current.batch_loss.xs  # and the plots did follow the run


async def test_the_lr_plot_redraws_at_its_own_slower_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ticked every REDRAW_INTERVAL_S of simulated time with a new batch each time, the status line and the loss
    plot follow every tick, the lr plot (a plotext canvas: a costly redraw) every LR_INTERVAL_S while its rate
    changes and every LR_IDLE_S while it does not."""
    from tui_trainer.core.spec.experiment import Experiment

    loss_draws, statuses, lr_draws = [0], [0], [0]
    real_draw_loss, real_status, real_draw_lr = TrainPane._draw_loss, TrainPane._show_progress, TrainPane._draw_lr

    def counting_draw_lr(self, *args):
        lr_draws[0] += 1
        real_draw_lr(self, *args)

    def counting_draw_loss(self, *args):
        loss_draws[0] += 1
        real_draw_loss(self, *args)

    def counting_status(self, run):
        statuses[0] += 1
        real_status(self, run)

    monkeypatch.setattr(TrainPane, "_draw_loss", counting_draw_loss)
    monkeypatch.setattr(TrainPane, "_show_progress", counting_status)
    monkeypatch.setattr(TrainPane, "_draw_lr", counting_draw_lr)
    clock = SimulatedClock()
    app = fakes.make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TrainPane)
        pane.use_clock(clock)
        pane.begin_run(Experiment(), 1)
        pane.handle_event(RunStarted("cpu", 10, 1000, 100, 0, 1, 10**6, 1, CLASSES, (2,)))
        await wait_until(pilot, lambda: not pane._stages, what="the run's first drawing")
        ticks = 40
        counts = {}
        for changing_lr in (False, True):
            loss_draws[0] = statuses[0] = lr_draws[0] = 0
            for step in range(1, ticks + 1):
                clock.advance(REDRAW_INTERVAL_S)
                lr = 0.01 / step if changing_lr else 0.01
                pane.handle_event(BatchEnd(1, step, 10**6, step, 1.0 / step, lr, 1e3, step * REDRAW_INTERVAL_S))
                pane._tick()
                await wait_until(pilot, lambda: not pane._stages, what="the tick's staged redraws")
            counts[changing_lr] = (statuses[0], loss_draws[0], lr_draws[0])
    simulated_s = ticks * REDRAW_INTERVAL_S
    for status_lines, loss, _lr in counts.values():
        assert status_lines == loss == ticks
    # A changing rate redraws at most every LR_INTERVAL_S, a constant one every LR_IDLE_S (to follow the x range).
    assert 0 < counts[True][2] <= simulated_s / pane.lr_redraws.interval + 1 < counts[True][1]
    assert 0 < counts[False][2] <= simulated_s / pane.lr_idle_redraws.interval + 1 < counts[True][2]


async def test_the_epoch_panels_redraw_at_most_once_a_second_however_fast_epochs_end(monkeypatch) -> None:
    """A small dataset ends an epoch every tick (REDRAW_INTERVAL_S of simulated time): the accuracy plot, confusion
    matrix and per-class table follow at most every EPOCH_PANELS_INTERVAL_S; the run's end draws its last epoch."""
    from fakes import scripted_report

    from tui_trainer.core.spec.events import EpochEnd
    from tui_trainer.core.spec.experiment import Experiment

    acc_draws, confusion_draws = [0], [0]
    real_acc, real_confusion = TrainPane._draw_acc, TrainPane._draw_confusion

    def counting_acc(self, *args):
        acc_draws[0] += 1
        real_acc(self, *args)

    def counting_confusion(self, *args):
        confusion_draws[0] += 1
        real_confusion(self, *args)

    monkeypatch.setattr(TrainPane, "_draw_acc", counting_acc)
    monkeypatch.setattr(TrainPane, "_draw_confusion", counting_confusion)
    clock = SimulatedClock()
    app = fakes.make_app()
    ticks = 40
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TrainPane)
        pane.use_clock(clock)
        pane.begin_run(Experiment(), 1)
        pane.handle_event(RunStarted("cpu", 10, 1000, 100, 0, ticks, 1, 1, CLASSES, (2,)))
        await wait_until(pilot, lambda: pane.all_drawn, what="the run's first drawing")
        acc_draws[0] = confusion_draws[0] = 0
        for epoch in range(1, ticks + 1):
            clock.advance(REDRAW_INTERVAL_S)
            pane.handle_event(BatchEnd(epoch, 1, 1, epoch, 1.0 / epoch, 0.01, 1e3, epoch * REDRAW_INTERVAL_S))
            report = scripted_report(epoch)
            pane.handle_event(EpochEnd(epoch, ticks, 1.0 / epoch, 0.5, 1.0 / epoch, report.accuracy, 0.01, 0.2, report))
            pane._tick()
            await wait_until(pilot, lambda: not pane._stages, what="the tick's staged redraws")
        simulated_s = ticks * REDRAW_INTERVAL_S
        assert 0 < acc_draws[0] <= simulated_s / pane.epoch_redraws.interval + 1 < ticks
        assert confusion_draws[0] == acc_draws[0]
        pane.handle_event(RunEnded("finished", ""))
        pane.thread_done(1)
        await wait_until(pilot, lambda: pane.all_drawn, what="the run's end drawn")
        assert pane.query_one("#confusion").report is pane.current.epochs[-1].report  # the last epoch, not an older


@pytest.mark.process
def test_no_torch_op_runs_on_the_ui_thread(tmp_path) -> None:
    """The real app, training in a thread of its own process (the stricter mode): every torch call
    made while browsing the tabs, previewing data and training comes from a worker thread."""
    script = textwrap.dedent(
        """
        import asyncio, os, sys, threading, time
        os.environ.pop("NO_COLOR", None)
        import torch, torch.nn

        main, seen = threading.main_thread(), []

        def watch(owner, name):
            real = getattr(owner, name)
            def wrapper(*args, **kwargs):
                if threading.current_thread() is main:
                    seen.append(name)
                return real(*args, **kwargs)
            setattr(owner, name, wrapper)

        for name in ("tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "randn", "rand", "randint",
                     "randperm", "arange", "linspace", "stack", "cat", "bincount", "manual_seed", "set_num_threads"):
            watch(torch, name)
        for name in ("to", "float", "long", "tolist", "item", "numpy", "__getitem__"):
            watch(torch.Tensor, name)
        watch(torch.nn.Module, "__call__")

        from textual.widgets import TabbedContent

        from tui_trainer.core.backend.thread import ThreadBackend
        from tui_trainer.ui.app import TrainerApp
        from tui_trainer.ui.tabs.train import TrainPane
        from tui_trainer.ui.widgets.preview import DatasetPreview

        async def until(pilot, condition, what):
            deadline = time.monotonic() + 90  # a hang guard only
            while not condition():
                if time.monotonic() > deadline:
                    raise SystemExit(f"{what}: not reached within 90 s")
                await pilot.pause()
            await pilot.app.workers.wait_for_complete()  # what the tab started (a preview, the devices)
            await pilot.pause()

        async def main_():
            app = TrainerApp(backend=ThreadBackend(), dataset="moons", preset="mlp", runs_dir=sys.argv[1])
            async with app.run_test(size=(120, 40)) as pilot:
                preview = app.query_one(DatasetPreview)
                await until(pilot, lambda: preview.data is not None and preview.data.kind == "2d", "the preview")
                tabs = app.query_one(TabbedContent)
                for key, tab in (("2", "model"), ("3", "hparams"), ("5", "runs"), ("6", "sweep"), ("question_mark", "help"), ("1", "data")):
                    await pilot.press(key)
                    await until(pilot, lambda: tabs.active == tab, f"the {tab} tab")
                app.set_experiment(app.experiment.with_train(epochs=2, threads=1))
                await pilot.press("s")
                pane = app.query_one(TrainPane)
                await until(pilot, lambda: pane.current is not None and pane.current.done, "the end of the run")
                print("STATUS", pane.current.status if pane.current else None)
                print("DEVICES", ",".join(app.devices))
            print("MAIN-THREAD-TORCH", ",".join(sorted(set(seen))) or "-")
        asyncio.run(main_())
        """
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines.get("STATUS") == "finished", result.stdout[-2000:]
    assert lines.get("DEVICES", "").startswith("auto,cpu")  # the device probe ran (on a worker)
    assert lines.get("MAIN-THREAD-TORCH") == "-", lines
