"""Model tab: the layer table from the model summary, the layer form, and every editing key."""

from __future__ import annotations

from pathlib import Path

from fakes import make_app
from helpers import message_texts, wait_until
from textual.widgets import Input, Select

from tui_trainer.core.spec.experiment import LayerSpec
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.layer_history import LayerHistory
from tui_trainer.ui.screens.layer_form import ArgRow, LayerForm
from tui_trainer.ui.tabs.model import ModelPane

LENET = load_preset("lenet5").layers


def row_text(app: TrainerApp, row: int) -> list[str]:
    table = app.query_one("#layers")
    return [str(c) for c in table.get_row_at(row)]


def text_of(app: TrainerApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def open_model_tab(pilot, row: int) -> None:
    await pilot.press("2")
    await pilot.pause()
    table = pilot.app.query_one("#layers")
    assert pilot.app.focused is table
    table.move_cursor(row=row)
    await pilot.pause()


async def test_table_and_editing_a_layer_valid_and_invalid() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_model_tab(pilot, 8)  # layer 8: Linear(256 -> 120)
        table = app.query_one("#layers")
        assert table.row_count == 1 + len(LENET)
        assert row_text(app, 0)[1:4] == ["Input", "digits28", "1x28x28"]
        assert row_text(app, 7)[1:] == ["Flatten", "", "256", "0"]
        assert row_text(app, 8) == ["8", "Linear", "in_features=256, out_features=120", "120", "30,840"]
        assert "Total: 44,426" in text_of(app, "#model-total")
        # Edit with e: the form shows the layer's arguments; a bad value keeps it open.
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, LayerForm)
        field = form.query_one("#arg-out_features", Input)
        assert field.value == "120" and app.focused is field
        field.value = "abc"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form
        row = form.query_one("#argrow-out_features", ArgRow)
        assert row.has_class("-invalid")
        assert "out_features must be an integer, not 'abc'" in text_of(app, "#argrow-out_features .field-error")
        field.value = "0"
        await pilot.pause()
        assert "out_features must be at least 1" in text_of(app, "#argrow-out_features .field-error")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and app.experiment.layers == LENET
        # A valid value: the fit line says what comes out; enter applies.
        field.value = "100"
        await pilot.pause()
        assert "Output here: 100, 25,700 parameters" in text_of(app, "#layer-fit")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, LayerForm)
        assert app.experiment.layers[7] == LayerSpec("Linear", {"out_features": 100})
        assert row_text(app, 8)[2:] == ["in_features=256, out_features=100", "100", "25,700"]
        assert row_text(app, 10)[2] == "in_features=100, out_features=84"
        assert table.cursor_row == 8
        # Enter edits too; escape cancels without a change.
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LayerForm)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LayerForm)
        assert app.experiment.layers[7] == LayerSpec("Linear", {"out_features": 100})


async def test_the_memory_to_train_follows_the_layers_and_the_batch_size() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        memory = text_of(app, "#model-memory")
        assert memory.startswith("Memory to train: ~") and "at batch 32" in memory
        app.set_experiment(app.experiment.with_train(batch_size=256))  # a hyperparameter: no layer changed
        await pilot.pause()
        assert "at batch 256" in text_of(app, "#model-memory")
        app.set_experiment(app.experiment.replace_layers([LayerSpec("Linear")]))  # no Flatten: does not fit
        await pilot.pause()
        assert text_of(app, "#model-memory") == "Memory to train: known once the stack fits."


async def test_add_insert_delete_move_reset() -> None:
    """Each step waits for what it changed (a dialog shown or gone, the layers edited): a busy machine may need
    several frames where a quiet one needs one."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_model_tab(pilot, 1)
        table = app.query_one("#layers")

        def types() -> list[str]:
            return [layer.type for layer in app.experiment.layers]

        async def form_shown() -> LayerForm:
            await wait_until(
                pilot, lambda: isinstance(app.screen, LayerForm) and bool(app.screen.query("#layer-type")), what="form"
            )
            return app.screen

        async def form_gone() -> None:
            await wait_until(pilot, lambda: not isinstance(app.screen, LayerForm), what="the form closed")

        # a: add after layer 1, as a Dropout with p=0.25.
        await pilot.press("a")
        form = await form_shown()
        form.query_one("#layer-type", Select).value = "Dropout"
        await wait_until(pilot, lambda: bool(form.query("#arg-p")), what="Dropout's argument")
        form.query_one("#arg-p", Input).value = "0.25"
        await wait_until(
            pilot, lambda: text_of(app, "#layer-fit") == "Output here: 6x24x24, 0 parameters", what="the fit line"
        )
        await pilot.press("ctrl+s")
        await form_gone()
        await wait_until(pilot, lambda: len(app.experiment.layers) == len(LENET) + 1, what="the layer added")
        layers = app.experiment.layers
        assert layers[1] == LayerSpec("Dropout", {"p": 0.25})
        await wait_until(pilot, lambda: table.cursor_row == 2 and row_text(app, 2)[1] == "Dropout", what="the row")
        # i: insert before it; switching Conv2d -> MaxPool2d keeps the typed kernel_size.
        await pilot.press("i")
        form = await form_shown()
        await wait_until(
            pilot,
            lambda: "Does not fit here (yet): its input is a 6x24x24 image" in text_of(app, "#layer-fit"),
            what="the fit warning",
        )
        assert form.query_one("#layer-fit").has_class("-warning")
        form.query_one("#layer-type", Select).value = "Conv2d"
        await wait_until(pilot, lambda: bool(form.query("#arg-kernel_size")), what="Conv2d's arguments")
        form.query_one("#arg-kernel_size", Input).value = "3"
        form.query_one("#layer-type", Select).value = "MaxPool2d"
        await wait_until(pilot, lambda: not form.query("#arg-out_channels"), what="MaxPool2d's arguments")
        assert form.query_one("#arg-kernel_size", Input).value == "3"
        await pilot.press("enter")
        await form_gone()
        await wait_until(pilot, lambda: app.experiment.layers[1].type == "MaxPool2d", what="the layer inserted")
        assert app.experiment.layers[1] == LayerSpec("MaxPool2d", {"kernel_size": 3})
        assert app.experiment.layers[2].type == "Dropout"
        await wait_until(pilot, lambda: table.cursor_row == 2, what="the cursor on the new layer")
        # J / K (and ctrl+down / ctrl+up) move the layer under the cursor.
        await pilot.press("J")
        await wait_until(pilot, lambda: types()[1:3] == ["Dropout", "MaxPool2d"], what="the layer moved down")
        await wait_until(pilot, lambda: table.cursor_row == 3, what="the cursor following it")
        await pilot.press("ctrl+up")
        await wait_until(pilot, lambda: types()[1:3] == ["MaxPool2d", "Dropout"], what="the layer moved up")
        # d deletes; r puts the preset back.
        await pilot.press("d", "d")
        await wait_until(pilot, lambda: app.experiment.layers == LENET, what="both deleted")
        await pilot.press("d")
        await wait_until(pilot, lambda: len(app.experiment.layers) == len(LENET) - 1, what="one more deleted")
        await pilot.press("r")
        await wait_until(pilot, lambda: app.experiment.layers == LENET, what="the preset back")
        # The input row: nothing to delete or edit, a message says why.
        table.move_cursor(row=0)
        await pilot.press("d", "e")
        await pilot.pause()
        assert app.experiment.layers == LENET and not isinstance(app.screen, LayerForm)


async def test_invalid_stack_and_unknown_shapes(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_model_tab(pilot, 7)
        assert row_text(app, 7)[1] == "Flatten"
        await pilot.press("d")
        await pilot.pause()
        assert "Flatten" not in [layer.type for layer in app.experiment.layers]
        problems = app.query_one("#model-problems")
        assert problems.has_class("-error")
        text = str(problems.render())
        assert "training is refused until it is fixed" in text
        assert "layer 7 Linear: its input is a 16x4x4 image: add a Flatten layer before it" in text
        assert row_text(app, 7)[0] == "7 ✗" and row_text(app, 7)[3:] == ["?", "?"]
        assert any("add a Flatten layer" in reason for reason in app.blockers())
        await pilot.press("r")
        await pilot.pause()
        assert not problems.has_class("-error") and app.blockers() == []
        # Own data: shapes are unknown before the first run.
        path = tmp_path / "d.csv"
        path.write_text("a,b,y\n1,2,0\n3,4,1\n")
        app.select_preset("mlp")
        app.select_dataset(f"csv:{path}")
        await pilot.pause()
        assert "known after the first run" in text_of(app, "#model-problems")
        assert row_text(app, 2)[3:] == ["?", "?"]
        # Once a run has seen the data, the shapes show (the app learns them from RunStarted).
        app.known_shapes[f"csv:{path}"] = ((2,), 2)
        await pilot.press("1", "2")
        await pilot.pause()
        assert row_text(app, 2)[3] == "64"
        await pilot.app.workers.wait_for_complete()


def notes(app: TrainerApp) -> list[str]:
    return message_texts(app)


async def test_undo_redo_and_an_undoable_reset() -> None:
    """r resets every layer edit: u (ctrl+z) brings them back, ctrl+y (U) redoes; a preset loaded on the
    Data tab is undone here too."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_model_tab(pilot, 7)  # Flatten
        table = app.query_one("#layers")
        await pilot.press("d")
        await pilot.pause()
        deleted = app.experiment.layers
        assert len(deleted) == len(LENET) - 1
        assert "Deleted layer 7 (Flatten): u undoes it." in notes(app)
        await pilot.press("J")  # moves layer 7 (now the first Linear) down
        await pilot.pause()
        moved = app.experiment.layers
        assert moved != deleted
        await pilot.press("r")
        await pilot.pause()
        assert app.experiment.layers == LENET
        assert "Layers reset to the preset lenet5: u undoes it." in notes(app)
        # Undo steps back through the reset, the move and the delete; each says what it undid.
        await pilot.press("u")
        await pilot.pause()
        assert app.experiment.layers == moved
        assert "Undid the reset to the preset lenet5; ctrl+y redoes it." in notes(app)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.experiment.layers == deleted
        await pilot.press("u")
        await pilot.pause()
        assert app.experiment.layers == LENET and table.cursor_row == 7
        await pilot.press("u")
        await pilot.pause()
        assert app.experiment.layers == LENET
        assert "Nothing to undo: these are the session's first layers." in notes(app)
        # Redo goes forward again; a new edit after an undo forgets what was undone.
        await pilot.press("ctrl+y", "U")
        await pilot.pause()
        assert app.experiment.layers == moved
        assert "Redid the move of layer 7 (Linear) down; u undoes it again." in notes(app)
        await pilot.press("u", "d")
        await pilot.pause()
        assert app.experiment.layers != moved and not app.query_one(ModelPane).history.can_redo
        # A preset loaded elsewhere is a change of the stack as well: u here brings the edited layers back.
        edited = app.experiment.layers
        app.select_preset("mlp")
        await pilot.pause()
        assert app.experiment.layers == load_preset("mlp").layers
        await pilot.press("u")
        await pilot.pause()
        assert app.experiment.layers == edited
        assert "Undid the change of the layers made on another tab; ctrl+y redoes it." in notes(app)
        # An edit in the form is undone as one step.
        table.move_cursor(row=1)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, LayerForm) and app.screen.shown_type is not None)
        app.screen.query_one("#arg-out_channels", Input).value = "8"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LayerForm))
        assert app.experiment.layers[0].args["out_channels"] == 8
        await pilot.press("u")
        await pilot.pause()
        assert app.experiment.layers == edited


def test_layer_history_is_bounded() -> None:
    history = LayerHistory(LENET, limit=5)
    stacks = [LENET[: n + 1] for n in range(8)]
    for n, stack in enumerate(stacks):
        assert history.record(stack, n, f"step {n}")
    assert not history.record(stacks[-1], 0, "the same stack again")
    assert len(history.states) == 5 and history.current.layers == stacks[-1]
    undone = [history.undo() for _ in range(6)]
    assert [step[0].what for step in undone if step] == ["step 7", "step 6", "step 5", "step 4"]
    assert undone[-2:] == [None, None] and history.current.layers == stacks[3]
    assert history.redo() is not None and history.current.layers == stacks[4]


async def test_a_layer_form_closed_before_its_refresh_does_not_end_the_app() -> None:
    """CI under load: the form's height fit (queued after a refresh) ran once the form was closed, and its
    NoMatches ended the app."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_model_tab(pilot, 1)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, LayerForm), what="the form")
        form = app.screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LayerForm), what="the form closed")
        await wait_until(pilot, lambda: not form.is_attached, what="the form unmounted")
        form._fit_height()  # what the queued callback does: nothing, the dialog is gone
        await pilot.pause()
        assert app.is_running
