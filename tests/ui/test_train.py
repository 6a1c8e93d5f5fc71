"""The Train tab and the training flows: start, events, pause, stop, retrain, failures, quit."""

from __future__ import annotations

import fakes
from fakes import FakeEngine
from helpers import dashboard_drawn, message_texts, shown_messages, wait_for, wait_until
from textual.widgets import Input, Static, TabbedContent

from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.events import EpochEnd
from tui_trainer.core.spec.experiment import LayerSpec
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.dialogs import Confirm
from tui_trainer.ui.tabs.train import TrainPane
from tui_trainer.ui.widgets.confusion import ConfusionMatrix
from tui_trainer.ui.widgets.curves import CurvePlot
from tui_trainer.ui.widgets.runs_table import RunsTable


def make_app(engine, **kwargs) -> TrainerApp:
    return fakes.make_app(engine, **kwargs)


def status(app: TrainerApp) -> str:
    return str(app.query_one("#status", Static).render())


def pane(app: TrainerApp) -> TrainPane:
    return app.query_one(TrainPane)


async def test_start_fills_plots_metrics_and_runs(fake_engine: FakeEngine) -> None:
    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app))
        assert app.query_one(TabbedContent).active == "train"
        assert status(app).startswith("finished")
        run = pane(app).current
        assert len(run.epochs) == 3 and run.batch_loss.xs
        loss_plot = app.query_one("#loss-plot", CurvePlot)
        labels = [c.label for c in loss_plot._curves if c.xs]
        assert labels == ["batch avg", "train", "val"]
        matrix = app.query_one(ConfusionMatrix)
        assert matrix.report is not None and len(matrix.report.class_names) == 3
        assert matrix.report.confusion[0][0] == 12  # epoch 3 of the scripted report
        assert app.query_one(RunsTable).row_count == 1
        assert "most confused" in str(app.query_one("#metrics-summary", Static).render())


async def test_confusion_toggle_counts_and_rates(fake_engine: FakeEngine) -> None:
    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: fakes.run_drawn(app))
        matrix = app.query_one(ConfusionMatrix)
        assert matrix.cell(0, 0) == "12"
        await pilot.press("n")
        assert matrix.normalised
        assert matrix.cell(0, 0) == f"{round(12 / 15 * 100)}"  # whole percent of the true class's row
        assert f" {round(12 / 15 * 100)} " in str(matrix.render()) + " "


async def test_pause_resume_and_stop(fake_engine: FakeEngine) -> None:
    fake_engine.hold()
    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: pane(app).current is not None and pane(app).current.started is not None)
        await pilot.press("p")
        assert app.runs.paused
        assert status(app).startswith("paused")
        steps = fake_engine.steps
        fake_engine.release()
        # Released, the engine asks should_stop before its next batch: paused, that call does not return.
        await wait_until(pilot, lambda: fake_engine.parked, what="the engine parked in should_stop")
        for _ in range(5):
            await pilot.pause()
        assert fake_engine.parked and fake_engine.steps == steps, "a paused run must not step"
        fake_engine.hold()
        await pilot.press("p")
        assert not app.runs.paused
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.runs.running and pane(app).current.done)
        assert pane(app).current.status == "stopped"
        assert status(app).startswith("stopped")


async def test_retrain_while_running_stops_old_run_and_overlays_it() -> None:
    engine = FakeEngine(epochs=3, batches=2)
    app = make_app(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: pane(app).current is not None and pane(app).current.done)
        engine.hold()
        app.set_experiment(app.experiment.with_train(lr=0.123))
        await pilot.press("r")
        await wait_until(pilot, lambda: len(engine.calls) == 2 and pane(app).current.started is not None)
        await pilot.press("r")  # retrain while the second run is still going
        engine.release()
        await wait_until(pilot, lambda: len(engine.calls) == 3 and fakes.run_drawn(app))
        statuses = [r.status for r in pane(app).runs]
        assert statuses == ["finished", "stopped", "finished"]
        assert engine.calls[1].train.lr == 0.123
        labels = [c.label for c in app.query_one("#loss-plot", CurvePlot)._curves]
        assert "run 1 val" in labels, "the previous run with epochs is overlaid"
        table = app.query_one(RunsTable)
        assert table.row_count == 3
        assert "lr 0.123" in str(table.get_row_at(1)[-1])


async def test_start_while_running_does_not_start_a_second_thread(fake_engine: FakeEngine) -> None:
    fake_engine.hold()
    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.runs.running and fake_engine.waiting.is_set())
        await pilot.press("s")
        await wait_until(pilot, lambda: any("A run is going" in m for m in message_texts(app)))
        assert len(fake_engine.calls) == 1
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.runs.running)
        assert len(fake_engine.calls) == 1


async def test_failure_is_shown_and_app_stays_usable() -> None:
    engine = FakeEngine(fail="the training loss became nan at epoch 2, batch 4")
    app = make_app(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: not app.runs.running and pane(app).current.done)
        text = status(app)
        assert text.startswith("failed") and "nan" in text and "lower the learning rate" in text
        engine.fail = None
        await pilot.press("s")
        await wait_until(pilot, lambda: len(pane(app).runs) == 2 and pane(app).current.done)
        assert pane(app).current.status == "finished"


async def test_engine_exception_becomes_a_failed_run() -> None:
    engine = FakeEngine(crash=True)
    app = make_app(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: not app.runs.running and pane(app).current.done)
        assert "RuntimeError: boom" in status(app)


async def test_invalid_model_blocks_training_and_keeps_edits(fake_engine: FakeEngine) -> None:
    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        broken = tuple(layer for layer in app.experiment.layers if layer.type != "Flatten")
        app.set_experiment(app.experiment.replace_layers(broken))
        await pilot.press("s")
        await wait_until(pilot, lambda: status(app).startswith("cannot train"))
        assert fake_engine.calls == []
        assert not app.runs.running
        blocked = str(app.query_one("#blocked", Static).render())
        assert "add a Flatten layer" in blocked
        assert app.experiment.layers == broken


async def test_a_setting_that_blocks_training_is_shown_at_its_field(fake_engine: FakeEngine) -> None:
    """s with an invalid setting jumps to its field (focused) on its tab; the Train tab keeps the list."""
    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.set_experiment(app.experiment.with_train(lr=-1.0))
        await pilot.press("s")
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "input-lr", what="lr focused")
        assert app.query_one(TabbedContent).active == "hparams"
        assert fake_engine.calls == [] and not app.runs.running
        line = "learning rate (lr) must be greater than 0, not -1"
        assert line in str(app.query_one("#blocked", Static).render())
        await wait_until(pilot, lambda: any(line in m for m in shown_messages(app)), what="the notification")
        # Fixed there; then a data option: the Data tab, with that option focused.
        app.query_one("#input-lr", Input).value = "0.1"
        await wait_until(pilot, lambda: app.experiment.train.lr == 0.1 and not app.invalid_fields, what="lr fixed")
        app.set_experiment(app.experiment.with_data(val_fraction=0.0))
        app.action_start()  # (a pressed s would be typed into the lr field)
        await wait_until(
            pilot, lambda: app.focused is not None and app.focused.id == "input-val_fraction", what="the option"
        )
        assert app.query_one(TabbedContent).active == "data"
        assert "validation share (val_fraction) must be at least 0.05, not 0" in str(
            app.query_one("#blocked", Static).render()
        )
        # A problem of the model has no field: the Train tab shows it.
        broken = tuple(layer for layer in app.experiment.layers if layer.type != "Flatten")
        app.set_experiment(app.experiment.with_data(val_fraction=0.2).replace_layers(broken))
        app.action_start()
        await wait_until(pilot, lambda: app.query_one(TabbedContent).active == "train", what="the Train tab")
        await wait_until(pilot, lambda: "add a Flatten layer" in str(app.query_one("#blocked", Static).render()))
        assert fake_engine.calls == []


async def test_a_model_too_big_for_the_machine_blocks_training(fake_engine: FakeEngine, monkeypatch) -> None:
    """With "auto" on a backend that found only the CPU, the machine's memory is checked before a start."""
    from tui_trainer.core.pipeline import checks
    from tui_trainer.core.spec.memory import AvailableMemory

    monkeypatch.setattr(checks, "machine_memory", lambda: AvailableMemory(1000, "free on this machine"))
    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.experiment.train.device == "auto"
        await wait_until(pilot, lambda: app.found_devices is not None, what="the backend's devices")
        await pilot.press("s")
        await wait_until(pilot, lambda: status(app).startswith("cannot train"))
        assert fake_engine.calls == [] and not app.runs.running
        blocked = str(app.query_one("#blocked", Static).render())
        assert "the model needs about" in blocked and "more than the 1000 B free on this machine" in blocked


async def test_overfitting_warning_holds_once_validation_diverges_and_stays_after_the_end() -> None:
    val_losses = [0.5, 0.4, 0.3, 0.32, 0.31, 0.36, 0.34, 0.45, 0.43, 0.6]  # best at 3, then wobbling up
    engine = FakeEngine(epochs=len(val_losses), val_losses=val_losses)
    app = make_app(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        train = pane(app)
        experiment = app.experiment
        train.begin_run(experiment, 1)
        shown = []
        for event in scripted_events(engine, experiment):
            train.handle_event(event)
            if isinstance(event, EpochEnd):
                shown.append(train.current.overfitting is not None)
        # Off until the best (epoch 3) is 3 epochs old and exceeded by 10 % (epoch 6), then on without flicker
        assert shown == [False] * 5 + [True] * 5
        await wait_until(pilot, lambda: dashboard_drawn(app))
        warning = app.query_one("#warning", Static)
        assert train.current.done
        assert warning.display and "overfitting since epoch 6" in str(warning.render())


def scripted_events(engine: FakeEngine, experiment) -> list:
    """The events a fake run emits, collected synchronously."""
    events: list = []
    engine(RunRequest(experiment, runs_dir=None), on_event=events.append, should_stop=lambda: False)
    return events


async def test_quit_during_training_asks_then_returns_promptly(fake_engine: FakeEngine) -> None:
    fake_engine.hold()
    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.runs.running and fake_engine.waiting.is_set())
        await pilot.press("q")  # asks first: the run would stop
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), what="the question")
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, Confirm), what="the question answered")
        assert app.is_running and app.runs.running, "no: the app and its run go on"
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), what="the question again")
        # yes, through the dialog's action (pressing a key through the pilot can wait forever for an animation
        # the closing app never finishes: a test-harness race, not the app's)
        await app.screen.run_action("answer(True)")
    # Held forever, the engine can only end through the stop that quitting asks for (the timeout is
    # a hang guard only: the app's unmount already waited for the run to end).
    assert app.runs.join(timeout=30.0), "the training thread ended"
    assert len(fake_engine.calls) == 1 and fake_engine.steps == 0


async def test_events_of_a_superseded_run_are_ignored(fake_engine: FakeEngine) -> None:
    from tui_trainer.core.spec.events import RunEnded, RunPhase
    from tui_trainer.ui.messages import TrainingEventMessage

    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: pane(app).current is not None and pane(app).current.done)
        app.post_message(TrainingEventMessage(RunEnded("failed", "late event"), run_id=0))
        # Messages are handled in order: once a note of the current run shows, the late event was handled.
        app.post_message(TrainingEventMessage(RunPhase("after the late event"), run_id=app.runs.run_id))
        await wait_until(pilot, lambda: "after the late event" in message_texts(app))
        assert pane(app).current.status == "finished"


async def test_too_small_terminal_shows_a_message(fake_engine: FakeEngine) -> None:
    app = make_app(fake_engine)
    async with app.run_test(size=(50, 15)) as pilot:
        await pilot.pause()
        assert app.query_one("#too-small").display
        assert not app.query_one("#main").display
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app.query_one("#main").display


async def test_layer_edits_survive_a_run(fake_engine: FakeEngine) -> None:
    app = make_app(fake_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        layers = (*app.experiment.layers[:-1], LayerSpec("Dropout", {"p": 0.2}), app.experiment.layers[-1])
        app.set_experiment(app.experiment.replace_layers(layers))
        await pilot.press("s")
        await wait_until(pilot, lambda: pane(app).current is not None and pane(app).current.done)
        assert app.experiment.layers == layers
        assert fake_engine.calls[0].layers == layers


async def test_a_note_while_training_is_a_notification_and_the_speed_ups_show_in_the_status() -> None:
    from fakes import CLASSES

    from tui_trainer.core.spec.events import BatchEnd, RunEnded, RunPhase, RunStarted

    def engine(request, *, on_event, should_stop):
        on_event(RunStarted("cpu", 10, 100, 20, 0, 3, 5, 32, CLASSES, (2,), speedups="channels-last"))
        on_event(BatchEnd(1, 1, 5, 1, 0.9, 0.01, 1000.0, 0.1))
        on_event(RunPhase("torch.compile failed (X); training without it"))
        wait_for(should_stop, what="the stop")
        end = RunEnded("stopped", "stopped by the user")
        on_event(end)
        return end

    app = make_app(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: any("compile failed" in m for m in message_texts(app)))
        await wait_until(pilot, lambda: "cpu + channels-last" in str(app.query_one("#status", Static).render()))
        status = str(app.query_one("#status", Static).render())
        assert status.startswith("running") and "cpu + channels-last" in status, status
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.runs.running)
