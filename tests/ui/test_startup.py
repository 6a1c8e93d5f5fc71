"""Start-up promises: the first frame never waits for torch, and no torch op runs on the UI thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

from fakes import FakeEngine, wait_until

from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.train import TrainPane


def test_app_composes_without_importing_torch() -> None:
    """Composing and mounting the app imports no torch: workers that need it start after the first frame."""
    script = textwrap.dedent(
        """
        import asyncio, os, sys
        os.environ.pop("NO_COLOR", None)
        from tui_trainer.ui.app import TrainerApp

        class Probe(TrainerApp):
            def on_mount(self):
                self.heavy_at_mount = [m for m in ("torch", "torchvision", "sklearn", "numpy") if m in sys.modules]
                super().on_mount()

        async def main():
            app = Probe(probe_devices=True)
            async with app.run_test(size=(100, 30)) as pilot:
                print("HEAVY", ",".join(app.heavy_at_mount))
        asyncio.run(main())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("HEAVY"))
    assert "torch" not in line.split(" ", 1)[1].split(","), line


async def test_engine_runs_off_the_ui_thread() -> None:
    """The engine (and so every torch op of a run) executes in the worker thread, not the UI thread."""
    import threading

    threads: list[str] = []

    class Recording(FakeEngine):
        def __call__(self, experiment, *, on_event, should_stop):
            threads.append(threading.current_thread().name)
            return super().__call__(experiment, on_event=on_event, should_stop=should_stop)

    engine = Recording()
    app = TrainerApp(engine=engine, probe_devices=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        pane = app.query_one(TrainPane)
        await wait_until(pilot, lambda: pane.current is not None and pane.current.done)
    assert threads and threads[0] != threading.main_thread().name


async def test_a_training_process_that_cannot_start_leaves_the_app_training_in_a_thread() -> None:
    from tui_trainer.core.trainer_process import TrainerProcess, TrainerProcessError

    class Broken(TrainerProcess):
        def wait_ready(self, timeout=None):
            raise TrainerProcessError("the training process cannot start: no luck")

    app = TrainerApp(trainer_process=Broken(), probe_devices=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.trainer_process is None, timeout=60)
        await wait_until(pilot, lambda: app.devices[:2] == ("auto", "cpu") and len(app._notifications) > 0)
        messages = [n.message for n in app._notifications]
        assert any("no luck" in m and "own process" in m for m in messages), messages
        assert app.controller.engine is app.engine


def test_training_in_a_process_the_app_never_imports_torch(tmp_path) -> None:
    """Devices, the data preview and a whole run come from the training process: the UI process
    stays free of torch (memory, and no second OpenMP team beside the UI)."""
    script = textwrap.dedent(
        """
        import asyncio, os, sys, time
        os.environ.pop("NO_COLOR", None)
        from tui_trainer.ui.app import TrainerApp
        from tui_trainer.ui.screens.train import TrainPane
        from tui_trainer.ui.widgets.preview import DatasetPreview

        async def main():
            app = TrainerApp(dataset="moons", preset="mlp", runs_dir=sys.argv[1])
            async with app.run_test(size=(120, 40)) as pilot:
                preview = app.query_one(DatasetPreview)
                deadline = time.monotonic() + 90
                while (preview.data is None or len(app.devices) < 2) and time.monotonic() < deadline:
                    await pilot.pause(0.05)
                print("PREVIEW", preview.data.kind if preview.data else None)
                app.set_experiment(app.experiment.with_train(epochs=1, threads=1))
                await pilot.press("s")
                pane = app.query_one(TrainPane)
                while not (pane.current and pane.current.done) and time.monotonic() < deadline:
                    await pilot.pause(0.05)
                print("STATUS", pane.current.status if pane.current else None)
                print("TORCH", "torch" in sys.modules)
        asyncio.run(main())
        """
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines.get("PREVIEW") == "2d", result.stdout
    assert lines.get("STATUS") == "finished", result.stdout
    assert lines.get("TORCH") == "False", result.stdout


async def test_tune_gc_freezes_start_up_objects_and_only_when_asked() -> None:
    import gc

    before = gc.get_threshold()
    try:
        app = TrainerApp(engine=FakeEngine(), probe_devices=False)
        async with app.run_test(size=(100, 30)):
            app.settle_memory()
            assert gc.get_threshold() == before and gc.get_freeze_count() == 0
        app = TrainerApp(engine=FakeEngine(), probe_devices=False, tune_gc=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("s")  # every run start settles memory again
            await wait_until(pilot, lambda: gc.get_freeze_count() > 0)
            from tui_trainer.ui.memory import GC_THRESHOLDS

            assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_a_preview_waits_while_the_training_process_trains() -> None:
    """Busy with a run, the training process is asked again later; the app never previews in-process."""
    from tui_trainer.core.preview import PreviewData
    from tui_trainer.core.trainer_process import TrainerProcessBusy
    from tui_trainer.ui.widgets import preview as preview_module
    from tui_trainer.ui.widgets.preview import DatasetPreview

    class BusyThenFree:
        closed = False

        def __init__(self) -> None:
            self.calls = 0
            self.run_ended = threading.Event()

        def call(self, function, spec):
            self.calls += 1
            if not self.run_ended.is_set():
                raise TrainerProcessBusy("training")
            return PreviewData("tabular", "from the child", text=f"rows of {spec.name}")

        def close(self) -> None:
            pass

    preview_module.BUSY_RETRY_S, saved = 0.05, preview_module.BUSY_RETRY_S
    try:
        app = TrainerApp(engine=FakeEngine(), probe_devices=False, dataset="iris")
        app.trainer_process = fake = BusyThenFree()
        kinds: list[str] = []
        async with app.run_test(size=(100, 30)) as pilot:
            preview = app.query_one(DatasetPreview)

            def shown() -> bool:
                if preview.data is not None and preview.data.kind not in kinds:
                    kinds.append(preview.data.kind)
                return "tabular" in kinds

            await wait_until(pilot, lambda: shown() or kinds == ["note"])
            await pilot.pause(0.3)
            assert kinds == ["note"] and fake.calls >= 3  # asked again and again, never previewed here
            fake.run_ended.set()
            await wait_until(pilot, shown)
            assert kinds == ["note", "tabular"] and preview.data.text == "rows of iris"
    finally:
        preview_module.BUSY_RETRY_S = saved
