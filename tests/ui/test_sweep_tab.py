"""The Sweep tab: defining with validation, starting blocked by an error, a real tiny sweep started and stopped,
the live table from a scripted source, dimmed pruned curves, loading a trial's settings, opening its run,
attaching to a folder a headless `sweep` made, sweep.toml written and read back, quitting while one runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fakes import make_app
from helpers import experiment as make_experiment
from helpers import message_texts, wait_until
from saved_runs import saved_run, trained_by_this_process
from sweep_fakes import FakeSource, fake_spec, four_trials, trial
from textual.widgets import Input

from tui_trainer.core.spec.events import RunEnded, RunStatus
from tui_trainer.core.sweep import spec as sweep_spec
from tui_trainer.ui.screens.dialogs import AskText, Confirm, RunDetails
from tui_trainer.ui.tabs.sweep import SweepPane
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.curves import CurvePlot
from tui_trainer.ui.widgets.sweep_form import ParamRow
from tui_trainer.ui.widgets.sweep_plots import ImportanceBars
from tui_trainer.ui.widgets.trials_table import TrialsTable

SIZE = (120, 40)


def moons_app(**kwargs):
    return make_app(dataset="moons", preset="mlp", **kwargs)


async def show_sweep_tab(pilot) -> SweepPane:
    await pilot.press("6")
    await wait_until(pilot, lambda: pilot.app.query_one("#tabs").active == "sweep", what="the Sweep tab")
    return pilot.app.query_one(SweepPane)


def watch_fake(pane: SweepPane, spec, *trials, target: str = "sweeps/fake") -> FakeSource:
    """Attach the pane to a scripted study holding trials, read every 10 ms."""
    source = FakeSource(spec)
    if trials:
        source.push(*trials)
    pane.open_source = lambda target: source
    pane.poll_s = 0.01
    pane.attach(target)
    return source


async def add_field(pilot, pane: SweepPane, name: str, text: str | None = None) -> ParamRow:
    pane.query_one("#sweep-add").value = name
    await wait_until(pilot, lambda: bool(pane.query(f"#sweep-param-{name.replace('.', '-')}")), what=f"{name}'s row")
    row = pane.query_one(f"#sweep-param-{name.replace('.', '-')}", ParamRow)
    if text is not None:
        row.input.value = text
        await wait_until(pilot, lambda: dict(pane.draft.params).get(name) == text, what="the text checked")
    return row


async def test_each_range_is_checked_as_typed_and_an_error_blocks_the_start(tmp_path: Path) -> None:
    app = moons_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        pane.sweeps_root = tmp_path / "sweeps"
        row = await add_field(pilot, pane, "lr")
        assert row.input.value == "0.005..0.5:log"  # a first range around the value now
        assert not row.has_class("-invalid")
        await add_field(pilot, pane, "batch_size", "16,32,64")
        row.input.value = "0.5..0.005"
        await wait_until(pilot, lambda: row.has_class("-invalid"), what="the error under lr")
        assert "reversed" in str(row.query_one(".field-error").render())
        pane.query_one("#sweep-add").focus()
        await pilot.press("s")
        await pilot.pause()
        assert pane.background is None and not (tmp_path / "sweeps").exists()
        assert any("reversed" in t for t in message_texts(app))
        assert app.focused is row.input  # the start moved the focus to the field in error
        assert not app.runs.running  # s on this tab never starts a training run
        row.input.value = "1e-3..0.3:log"
        await wait_until(pilot, lambda: not row.has_class("-invalid"), what="the error gone")
        assert pane.errors == {}
        # a layer argument by position, checked against the layer's own limits
        layer = await add_field(pilot, pane, "layers.2.out_features", "0..64")
        await wait_until(pilot, lambda: layer.has_class("-invalid"), what="the layer's error")
        assert "at least 1" in layer.error


async def test_options_are_checked_and_a_removed_field_is_offered_again() -> None:
    app = moons_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        await add_field(pilot, pane, "optimizer", "sgd,adam")
        trials = pane.query_one("#sweep-opt-trials", Input)
        trials.value = "0"
        await wait_until(pilot, lambda: "trials" in pane.errors, what="the trials error")
        assert "1 to" in pane.errors["trials"]
        trials.value = "4"
        await wait_until(pilot, lambda: "trials" not in pane.errors, what="trials fixed")
        pane.query_one("#sweep-opt-sampler").value = "grid"
        await wait_until(pilot, lambda: pane.draft.sampler == "grid", what="the grid sampler")
        await add_field(pilot, pane, "lr", "1e-3..1e-1")
        await wait_until(pilot, lambda: "space" in pane.errors, what="the space's error")
        assert "float range" in pane.errors["space"]
        row = pane.query_one("#sweep-param-lr", ParamRow)
        await pilot.click(row.query_one(".sweep-remove"))
        await wait_until(pilot, lambda: not pane.query("#sweep-param-lr"), what="lr removed")
        assert "lr" not in dict(pane.draft.params) and "space" not in pane.errors
        picker = pane.query_one("#sweep-add")
        assert "lr" in [value for _, value in picker._options if value is not picker.BLANK]


async def test_the_live_table_and_plots_from_a_scripted_study() -> None:
    app = moons_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        source = watch_fake(pane, fake_spec(app.experiment))
        table = pane.query_one(TrialsTable)
        await wait_until(pilot, lambda: pane.result is not None, what="the first read")
        assert table.row_count == 0
        source.push(*four_trials(), importances={"lr": 0.8, "batch_size": 0.2})
        await wait_until(pilot, lambda: table.row_count == 4, what="four trials")
        assert [t.number for t in table.trials] == [1, 0, 2, 3]  # complete best first, then pruned, then running
        assert [str(c) for c in table.get_row_at(0)][:3] == ["1", "1", "complete"]
        assert str(table.get_row_at(2)[2]) == "pruned@1"
        assert str(table.get_row_at(0)[5]) == "93.00%"
        curves = pane.query_one("#sweep-curves", CurvePlot)._curves
        roles = {c.label: c.role for c in curves}
        assert roles["trial 2"] == "muted"  # the pruned trial, dimmed
        assert roles["trial 0"] == "primary" and roles["trial 3"] == "accent" and roles["best: 1"] == "success"
        best = pane.query_one("#sweep-best", CurvePlot)._curves[0]
        assert best.xs == [0.0, 1.0] and best.ys == [0.85, 0.93]
        assert pane.query_one(ImportanceBars).importances == {"lr": 0.8, "batch_size": 0.2}
        status = str(pane.query_one("#sweep-status").render())
        assert "3/6 trials" in status and "best #1 93.00%" in status
        redraws, reads = pane.redraws, source.reads
        await wait_until(pilot, lambda: source.reads > reads + 3, what="more reads")
        await pilot.pause()
        await pilot.pause()
        assert pane.redraws == redraws  # an unchanged study is not drawn again
        source.push(*four_trials()[:2])
        await wait_until(pilot, lambda: table.row_count == 2, what="the changed study drawn")
        assert pane.redraws == redraws + 1


async def test_loading_the_best_or_the_selected_trials_settings() -> None:
    app = moons_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        watch_fake(pane, fake_spec(app.experiment.with_train(epochs=3)), *four_trials())
        table = pane.query_one(TrialsTable)
        await wait_until(pilot, lambda: table.row_count == 4, what="the trials")
        table.focus()
        await pilot.press("b")
        assert (app.experiment.train.lr, app.experiment.train.batch_size, app.experiment.train.epochs) == (0.05, 64, 3)
        table.move_cursor(row=2)
        await pilot.press("l")
        assert (app.experiment.train.lr, app.experiment.train.batch_size) == (0.2, 16)


async def test_enter_on_a_trial_opens_its_run(tmp_path: Path) -> None:
    app = moons_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        run_dir, _ = saved_run(tmp_path / "trials" / "0000", make_experiment(dataset="moons"), epochs_done=2)
        watch_fake(
            pane,
            fake_spec(app.experiment),
            trial(0, "complete", (0.7, 0.8), 0.01, 32, str(run_dir)),
            target=str(tmp_path),
        )
        table = pane.query_one(TrialsTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the trial")
        table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetails), what="the run's metrics")
        assert str(run_dir) in " ".join(app.screen.lines)


async def test_enter_on_a_running_trial_follows_it_on_the_train_tab(tmp_path: Path) -> None:
    followed = make_experiment(name="mlp", dataset="moons", epochs=5)
    run_dir, writer, lock = trained_by_this_process(tmp_path, followed, epochs_done=1)
    app = moons_app()
    try:
        async with app.run_test(size=SIZE) as pilot:
            pane = await show_sweep_tab(pilot)
            watch_fake(
                pane,
                fake_spec(app.experiment),
                trial(0, "running", (0.7,), 0.01, 32, str(run_dir)),
                target=str(tmp_path),
            )
            table = pane.query_one(TrialsTable)
            await wait_until(pilot, lambda: table.row_count == 1, what="the trial")
            table.focus()
            await pilot.press("enter")
            train = app.query_one(TrainPane)
            await wait_until(
                pilot, lambda: train.current is not None and len(train.current.epochs) == 1, what="followed"
            )
            assert app.query_one("#tabs").active == "train" and app.runs.following is not None
            await pilot.press("x")  # on the Train tab: x stops following (the trial goes on)
            await wait_until(pilot, lambda: train.current.done and not app.runs.running, what="following ended")
    finally:
        writer.on_event(RunEnded(RunStatus.STOPPED, "the test is over", epochs_done=1))
        lock.release()


async def test_a_field_s_description_follows_the_experiment() -> None:
    app = moons_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        row = await add_field(pilot, pane, "lr")
        assert "now 0.05" in str(row.query_one(".field-help").render())
        app.set_experiment(app.experiment.with_train(lr=0.2))
        await wait_until(pilot, lambda: "now 0.2" in str(row.query_one(".field-help").render()), what="the new lr")
        layer = await add_field(pilot, pane, "layers.4.out_features", "8..64")
        app.set_experiment(app.experiment.replace_layers(app.experiment.layers[:3]))
        await wait_until(pilot, lambda: layer.has_class("-invalid"), what="the layer gone")
        assert "layers 1 to 3" in (layer.error or "")


async def test_sweep_toml_written_and_read_back(tmp_path: Path) -> None:
    app = moons_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        await add_field(pilot, pane, "lr", "1e-3..0.3:log")
        await add_field(pilot, pane, "layers.2.out_features", "16..128:log")
        pane.query_one("#sweep-opt-trials", Input).value = "7"
        await wait_until(pilot, lambda: pane.draft.trials == "7", what="trials typed")
        pane.query_one("#sweep-add").focus()
        path = tmp_path / "sweep.toml"
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, AskText), what="the file dialog")
        app.screen.query_one(Input).value = str(path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: path.exists(), what="sweep.toml")
        spec = sweep_spec.load(path)
        assert [p.text for p in spec.params] == ["lr=0.001..0.3:log", "layers.2.out_features=16..128:log"]
        assert spec.trials == 7 and spec.experiment == app.experiment
        # read back into a fresh form, its experiment into the editors
        app.set_experiment(app.experiment.with_train(lr=0.9))
        pane.load_spec(spec)
        await wait_until(pilot, lambda: len(pane.query(ParamRow)) == 2, what="the rows read back")
        assert app.experiment.train.lr == spec.experiment.train.lr
        assert pane.query_one("#sweep-opt-trials", Input).value == "7" and pane.errors == {}


async def test_quitting_while_a_sweep_it_started_runs_asks_and_leaves_it_running() -> None:
    class Running:
        pid = 4321
        folder = Path("sweeps/running")

        def __init__(self) -> None:
            self.stopped = False

        def running(self) -> bool:
            return True

        def stop(self) -> None:
            self.stopped = True

    app = moons_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        pane.background = sweep = Running()
        pane.folder = "sweeps/running"  # the sweep it watches
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), what="the question")
        assert "goes on" in app.screen.question
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, Confirm), what="the answer")
        assert app.is_running and not sweep.stopped
        await pilot.press("x")  # stop asks too, then stops its process
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), what="the stop question")
        await pilot.press("y")
        await wait_until(pilot, lambda: sweep.stopped, what="the sweep stopped")


def headless_sweep(folder: Path, trials: int, epochs: int) -> None:
    """A real `tui-trainer sweep` run to its end (moons, the mlp, a few epochs)."""
    command = [sys.executable, "-m", "tui_trainer", "sweep", "--dataset", "moons", "--preset", "mlp"]
    command += ["--set", f"epochs={epochs}", "--set", "threads=1", "--set", "device=cpu", "--param", "lr=0.01..0.3:log"]
    command += ["--trials", str(trials), "--sweep-dir", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


@pytest.mark.process
async def test_attaching_to_a_folder_a_headless_sweep_made(tmp_path: Path) -> None:
    folder = tmp_path / "sweeps" / "headless"
    headless_sweep(folder, trials=2, epochs=2)
    app = moons_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        pane.sweeps_root = tmp_path / "sweeps"
        pane.poll_s = 0.05
        pane.query_one("#sweep-add").focus()
        await pilot.press("a")
        await wait_until(pilot, lambda: app.screen.query("#attach-list"), what="the folder list")
        await pilot.press("enter")
        table = pane.query_one(TrialsTable)
        await wait_until(pilot, lambda: table.row_count == 2, timeout=120, what="the two trials")
        assert {t.state for t in table.trials} == {"complete"}
        assert pane.spec is not None and pane.spec.study_name == "headless"
        assert all(Path(t.run_dir).is_relative_to(folder / "trials") for t in table.trials)
        table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetails), what="the trial's run")


@pytest.mark.process
async def test_a_sweep_started_in_the_app_runs_in_its_own_process_and_stops(tmp_path: Path) -> None:
    app = moons_app()
    app.set_experiment(app.experiment.with_train(epochs=200, threads=1, device="cpu"))
    async with app.run_test(size=SIZE) as pilot:
        pane = await show_sweep_tab(pilot)
        pane.sweeps_root = tmp_path / "sweeps"
        pane.poll_s = 0.05
        await add_field(pilot, pane, "lr", "0.01..0.3:log")
        pane.query_one("#sweep-opt-trials", Input).value = "3"
        await wait_until(pilot, lambda: pane.draft.trials == "3", what="trials typed")
        pane.query_one("#sweep-add").focus()
        await pilot.press("s")
        assert pane.background is not None, message_texts(app)
        process = pane.background.process
        assert process.args[3:5] == ["sweep", "--config"]  # the CLI's own command, in a session of its own
        table = pane.query_one(TrialsTable)
        await wait_until(
            pilot, lambda: any(t.state == "running" for t in table.trials), timeout=240, what="a running trial"
        )
        assert pane.sweep_running
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), what="the stop question")
        await pilot.press("y")
        await wait_until(pilot, lambda: process.poll() is not None, timeout=240, what="the sweep's end")
        await wait_until(pilot, lambda: pane.process_running is False, what="the end shown")
        assert "ended" in str(pane.query_one("#sweep-status").render())
        assert {t.state for t in table.trials} <= {"failed", "complete", "pruned"}
        assert (pane.background.folder / "sweep.toml").is_file()
        assert app.experiment.train.epochs == 200  # the editors keep the experiment the sweep started from


async def test_p_on_the_sweep_tab_says_a_sweep_cannot_pause_and_leaves_a_training_run_alone(fake_engine) -> None:
    fake_engine.hold()
    app = make_app(fake_engine, dataset="moons", preset="mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "s")
        await wait_until(pilot, lambda: app.runs.running and fake_engine.waiting.is_set(), what="the run")
        await show_sweep_tab(pilot)
        await pilot.press("p")
        await wait_until(pilot, lambda: any("cannot be paused" in m for m in message_texts(app)), what="the message")
        assert not app.runs.paused
        await pilot.press("4", "p")  # on the Train tab p pauses the run
        await wait_until(pilot, lambda: app.runs.paused, what="the pause")
        fake_engine.release()
