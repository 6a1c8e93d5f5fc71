"""Guard rails of the live dashboard: plot redraws capped whatever the event rate; no torch op on the UI thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from fakes import CLASSES, wait_until

from tui_trainer.core.events import BatchEnd, RunEnded, RunStarted
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.train import REDRAW_INTERVAL_S, TrainPane
from tui_trainer.ui.widgets.curves import CurvePlot

FLOOD_S = 1.5


class FloodEngine:
    """Emits BatchEnd events as fast as it can for FLOOD_S seconds: far above any real emit rate."""

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, experiment, *, on_event, should_stop):
        on_event(RunStarted("cpu", 10, 1000, 100, 0, 1, 10**9, 1, CLASSES, (2,)))
        t0 = time.monotonic()
        while time.monotonic() - t0 < FLOOD_S and not should_stop():
            self.sent += 1
            on_event(BatchEnd(1, self.sent, 10**9, self.sent, 1.0 / self.sent, 0.01, 1e6, time.monotonic() - t0))
            if self.sent % 200 == 0:
                time.sleep(0.001)  # let the UI thread have the GIL now and then, as torch ops do
        end = RunEnded("stopped", "flood over")
        on_event(end)
        return end


async def test_plot_redraws_are_capped_whatever_the_event_rate(monkeypatch) -> None:
    draws: list[float] = []
    real_show = CurvePlot.show

    def counting_show(self, curves, ylim=None):
        draws.append(time.monotonic())
        real_show(self, curves, ylim)

    monkeypatch.setattr(CurvePlot, "show", counting_show)
    engine = FloodEngine()
    app = TrainerApp(engine=engine, probe_devices=False)
    async with app.run_test(size=(120, 40)) as pilot:
        t0 = time.monotonic()
        await pilot.press("s")
        pane = app.query_one(TrainPane)
        await wait_until(pilot, lambda: pane.current is not None and pane.current.done)
        window = time.monotonic() - t0
        await pilot.pause(0.1)
    plots = 3
    assert engine.sent > 2000  # a flood: thousands of events
    assert window >= FLOOD_S
    assert 0 < len(draws) <= plots * (window / REDRAW_INTERVAL_S + 3)
    assert pane.current.batch_loss.xs  # and the plots did follow the run


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

        from tui_trainer.ui.app import TrainerApp
        from tui_trainer.ui.screens.train import TrainPane

        async def main_():
            app = TrainerApp(dataset="moons", preset="mlp", runs_dir=sys.argv[1], train_in="thread")
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause(1.0)
                for key in ("2", "3", "5", "6", "1"):
                    await pilot.press(key)
                    await pilot.pause(0.3)
                app.set_experiment(app.experiment.with_train(epochs=2, threads=1))
                await pilot.press("s")
                pane = app.query_one(TrainPane)
                deadline = time.monotonic() + 90
                while not (pane.current and pane.current.done) and time.monotonic() < deadline:
                    await pilot.pause(0.05)
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
