"""Start-up promises: the first frame never waits for torch, and no torch op runs on the UI thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
from fakes import FakeEngine, fake_backend, make_app, nothing
from helpers import message_texts, wait_until
from textual.app import App
from textual.widgets import TabbedContent, TabPane

from tui_trainer.ui.app import TABS, TrainerApp, pane_class
from tui_trainer.ui.tabs.train import TrainPane


@pytest.mark.process
def test_app_composes_without_importing_torch() -> None:
    """Composing and mounting the app imports no torch: workers that need it start after the first frame."""
    script = textwrap.dedent(
        """
        import asyncio, os, sys
        os.environ.pop("NO_COLOR", None)
        from tui_trainer.core.backend.thread import ThreadBackend
        from tui_trainer.ui.app import TrainerApp

        class Probe(TrainerApp):
            def on_mount(self):
                self.heavy_at_mount = [
                    m for m in ("torch", "torchvision", "sklearn", "numpy", "optuna", "plotext") if m in sys.modules
                ]
                super().on_mount()

        async def main():
            app = Probe(backend=ThreadBackend())  # the devices, the preview: torch in this process, later
            async with app.run_test(size=(100, 30)) as pilot:
                print("HEAVY", ",".join(app.heavy_at_mount))
        asyncio.run(main())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("HEAVY"))
    assert "torch" not in line.split(" ", 1)[1].split(","), line
    assert "optuna" not in line.split(" ", 1)[1].split(","), line  # the Sweep tab imports it on its watcher's thread
    assert "plotext" not in line.split(" ", 1)[1].split(","), line  # the plots come with the tabs after the first frame


async def test_engine_runs_off_the_ui_thread() -> None:
    """The engine (and so every torch op of a run) executes in the worker thread, not the UI thread."""

    threads: list[str] = []

    class Recording(FakeEngine):
        def __call__(self, request, *, on_event, should_stop):
            threads.append(threading.current_thread().name)
            return super().__call__(request, on_event=on_event, should_stop=should_stop)

    engine = Recording()
    app = make_app(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        pane = app.query_one(TrainPane)
        await wait_until(pilot, lambda: pane.current is not None and pane.current.done)
    assert threads and threads[0] != threading.main_thread().name


async def test_a_training_process_that_cannot_start_leaves_the_app_training_in_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tui_trainer.core.backend.process import parent
    from tui_trainer.core.backend.process.parent import ProcessBackend
    from tui_trainer.core.backend.thread import ThreadBackend

    def cannot_spawn():
        raise OSError("no luck")

    monkeypatch.setattr(parent, "spawn", cannot_spawn)
    backend = ProcessBackend()
    app = TrainerApp(backend=backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: backend.fallback is not None, timeout=60)
        await wait_until(pilot, lambda: app.devices[:2] == ("auto", "cpu") and len(app.message_log) > 0)
        messages = message_texts(app)
        assert any("no luck" in m and "own process" in m for m in messages), messages
        assert isinstance(backend.fallback, ThreadBackend) and backend.pid is None


@pytest.mark.process
def test_training_in_a_process_the_app_never_imports_torch(tmp_path) -> None:
    """Devices, the data preview and a whole run come from the training process: the UI process
    stays free of torch (memory, and no second OpenMP team beside the UI)."""
    script = textwrap.dedent(
        """
        import asyncio, os, sys, time
        os.environ.pop("NO_COLOR", None)
        from tui_trainer.core.backend import open_backend
        from tui_trainer.ui.app import TrainerApp
        from tui_trainer.ui.tabs.train import TrainPane
        from tui_trainer.ui.widgets.preview import DatasetPreview

        async def until(pilot, condition, what):
            deadline = time.monotonic() + 90  # a hang guard only
            while not condition():
                if time.monotonic() > deadline:
                    raise SystemExit(f"{what}: not reached within 90 s")
                await pilot.pause()

        async def main():
            app = TrainerApp(backend=open_backend("process"), dataset="moons", preset="mlp", runs_dir=sys.argv[1])
            async with app.run_test(size=(120, 40)) as pilot:
                preview = app.query_one(DatasetPreview)
                await until(pilot, lambda: preview.data is not None, "the preview")
                await app.workers.wait_for_complete()  # the devices too
                print("PREVIEW", preview.data.kind if preview.data else None)
                print("CHILD", app.backend.pid is not None and app.backend.pid != os.getpid())
                app.set_experiment(app.experiment.with_train(epochs=1, threads=1))
                await pilot.press("s")
                pane = app.query_one(TrainPane)
                await until(pilot, lambda: pane.current is not None and pane.current.done, "the end of the run")
                print("STATUS", pane.current.status if pane.current else None)
                print("TORCH", "torch" in sys.modules)
        asyncio.run(main())
        """
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines.get("PREVIEW") == "2d", result.stdout
    assert lines.get("CHILD") == "True", result.stdout
    assert lines.get("STATUS") == "finished", result.stdout
    assert lines.get("TORCH") == "False", result.stdout


async def test_tune_gc_freezes_start_up_objects_and_only_when_asked() -> None:
    import gc

    before = gc.get_threshold()
    try:
        app = make_app(FakeEngine())
        async with app.run_test(size=(100, 30)):
            app.settle_memory()
            assert gc.get_threshold() == before and gc.get_freeze_count() == 0
        app = make_app(FakeEngine(), tune_gc=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("s")  # every run start settles memory again
            await wait_until(pilot, lambda: gc.get_freeze_count() > 0)
            from tui_trainer.ui.gc_tuning import GC_THRESHOLDS

            assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_a_preview_waits_while_the_backend_trains() -> None:
    """Busy with a run, the backend answers a preview once the run has ended (a note says so meanwhile);
    the preview is computed by the backend (where training runs), never while it trains."""
    from tui_trainer.core.data.preview import PreviewData
    from tui_trainer.ui.widgets.preview import DatasetPreview

    computed: list[str] = []

    def previews(spec) -> PreviewData:
        computed.append(spec.name)
        return PreviewData("tabular", "from the backend", text=f"rows of {spec.name}")

    engine = FakeEngine()
    app = TrainerApp(backend=fake_backend(engine, preview=previews), dataset="iris", preset="mlp")
    kinds: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        preview = app.query_one(DatasetPreview)

        def seen() -> list[str]:
            if preview.data is not None and (not kinds or kinds[-1] != preview.data.kind):
                kinds.append(preview.data.kind)
            return kinds

        await wait_until(pilot, lambda: seen() == ["tabular"] and preview.data.text == "rows of iris")
        engine.hold()
        await pilot.press("s")
        await wait_until(pilot, lambda: engine.waiting.is_set())  # the run trains (held before a batch)
        app.select_dataset("wine")
        await wait_until(pilot, lambda: seen()[-1] == "note")
        assert computed == ["iris"], "no preview is computed while the run trains"
        engine.release()
        await wait_until(pilot, lambda: seen()[-1] == "tabular" and preview.data.text == "rows of wine")
        assert kinds == ["tabular", "note", "tabular"] and computed == ["iris", "wine"]


async def test_collections_are_held_through_start_up_until_the_first_settle() -> None:
    """`tui-trainer` holds the garbage collector while it starts (held_collections); the app's first settle
    turns it back on, and leaving the block does too (an app that ended early, a launch error)."""
    import gc

    from tui_trainer.ui.gc_tuning import held_collections

    before = gc.get_threshold()
    try:
        with pytest.raises(RuntimeError), held_collections():
            assert not gc.isenabled()
            raise RuntimeError("a launch error")
        assert gc.isenabled()
        with held_collections():
            app = make_app(FakeEngine(), tune_gc=True)
            async with app.run_test(size=(100, 30)) as pilot:
                assert not gc.isenabled()
                await wait_until(pilot, gc.isenabled, what="the first settle")  # the app's timer, after start-up
    finally:
        gc.enable()
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_the_first_frame_holds_only_the_data_pane_and_the_others_follow() -> None:
    """Only the Data tab's pane is composed for the first frame; the other tabs' panes are mounted after it,
    then what needs them (the devices) starts."""
    seen: dict[str, bool] = {}

    class Probe(TrainerApp):
        def on_mount(self) -> None:
            seen.update({pane.id: bool(pane.children) for pane in self.query(TabPane)})

    app = Probe(backend=fake_backend(nothing))
    async with app.run_test(size=(100, 30)) as pilot:
        assert seen == {tab: tab == "data" for tab in TABS}
        assert app.panes_mounted  # run_test hands over the pilot once they are
        assert [type(pane.children[0]) for pane in app.query(TabPane)] == [pane_class(tab) for tab in TABS]
        await wait_until(pilot, lambda: app.found_devices is not None, what="the devices found")


async def test_a_key_before_the_hidden_panes_are_mounted_waits_for_them(monkeypatch) -> None:
    """A key that comes before the deferred mount (a fast typist, a slow machine) mounts the panes first, then
    acts: 4 shows a Train tab that has its pane."""

    async def not_yet(self) -> None:  # the deferred mount never comes on its own in this test
        return None

    monkeypatch.setattr(TrainerApp, "_after_first_frame", not_yet)
    app = make_app()
    async with App.run_test(app, size=(100, 30)) as pilot:  # Textual's own: the pilot takes over at once
        assert not app.panes_mounted
        assert not app.query("TabPane#train > *")
        await pilot.press("4")
        assert app.panes_mounted
        assert app.query_one(TabbedContent).active == "train"
        assert app.focused is app.query_one(TrainPane)
        await wait_until(pilot, lambda: app.found_devices is not None, what="the devices found")


async def test_the_later_stylesheets_style_no_widget_of_the_first_frame(monkeypatch) -> None:
    """The first frame is styled by FIRST_FRAME_STYLES alone; the others are read with the other panes. So none of
    their rules may match a widget that is on screen before them, in any state: each selector is tried with its
    pseudo-classes (focus, hover) and the screen's size classes (-narrow ...) left out."""
    import re

    from textual.css.stylesheet import Stylesheet

    from tui_trainer.ui.app import FIRST_FRAME_STYLES, LATER_STYLES, STYLES

    async def not_yet(self) -> None:
        return None

    monkeypatch.setattr(TrainerApp, "_after_first_frame", not_yet)
    app = make_app()
    async with App.run_test(app, size=(120, 40)):
        assert not app.panes_mounted and [p.name for p in app.css_path] == list(FIRST_FRAME_STYLES)
        later = Stylesheet(variables=app.get_css_variables())
        later.read_all([STYLES / name for name in LATER_STYLES])
        selectors = [s.strip() for rule in later.rules for s in rule.selectors.split(",")]
        assert len(selectors) > 100
        matched = {}
        for selector in selectors:
            loose = re.sub(r":[a-z-]+|\.-[a-z]+", "", selector)
            if app.query(loose):
                matched[selector] = [str(node) for node in app.query(loose)][:3]
        assert matched == {}
        await app.mount_hidden_panes()
        assert [p.name for p in app.css_path] == [*FIRST_FRAME_STYLES, *LATER_STYLES]
        assert app.query_one("#status").styles.height.value == 1  # a rule of train.tcss
