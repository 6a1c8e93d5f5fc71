"""Hyperparams tab: a validated form generated from TrainSpec's field metadata."""

from __future__ import annotations

import dataclasses

from fakes import make_app
from helpers import wait_until
from textual.widgets import Input, Select, Switch

from tui_trainer.core.spec.experiment import TrainSpec, field_help
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.tabs.hparams import GROUPS
from tui_trainer.ui.widgets.field_form import FieldRow


def row(app: TrainerApp, name: str) -> FieldRow:
    return app.query_one(f"#hparams-form #field-{name}", FieldRow)


def error_text(app: TrainerApp, name: str) -> str:
    return str(row(app, name).query_one(".field-error").render())


async def type_into(pilot, name: str, text: str) -> Input:
    """Clear a field and type text into it key by key."""
    field = row(pilot.app, name).query_one(Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)
    await pilot.pause()
    return field


async def test_form_shows_every_field_and_applies_valid_values() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        assert app.focused is row(app, "optimizer").query_one(Select)
        names = [f.name for f in dataclasses.fields(TrainSpec)]
        assert sorted(n for _, group in GROUPS for n in group) == sorted(names)
        train = app.experiment.train
        for name in names:
            field = row(app, name)
            assert field_help(TrainSpec, name) in str(field.query_one(".field-help").render())
        assert row(app, "lr").query_one(Input).value == str(train.lr)
        assert row(app, "optimizer").query_one(Select).value == train.optimizer
        assert isinstance(row(app, "nesterov").control, Switch)
        headings = [str(h.render()) for h in app.query("#hparams-form .form-heading")]
        assert headings == [title for title, _ in GROUPS]
        # Valid changes go straight into the experiment.
        await type_into(pilot, "lr", "0.01")
        assert app.experiment.train.lr == 0.01
        await type_into(pilot, "batch_size", "128")
        assert app.experiment.train.batch_size == 128
        row(app, "optimizer").query_one(Select).value = "sgd"
        await pilot.pause()
        assert app.experiment.train.optimizer == "sgd"
        row(app, "momentum").query_one(Input).value = "0"
        row(app, "nesterov").query_one(Switch).value = True
        await pilot.pause()
        assert app.experiment.train.nesterov is True
        # A problem across fields shows at the field (and blocks training).
        assert "Nesterov momentum (nesterov) needs momentum > 0, not 0" in error_text(app, "nesterov")
        assert app.blockers()
        row(app, "nesterov").query_one(Switch).value = False
        await pilot.pause()
        assert error_text(app, "nesterov") == "" and app.blockers() == []
        # Picking a preset elsewhere updates the form.
        app.select_preset("mlp")
        await pilot.pause()
        assert row(app, "lr").query_one(Input).value == str(load_preset("mlp").train.lr)
        assert row(app, "batch_size").query_one(Input).value == "32"
        # The device select offers app.devices (they grow once torch has looked for GPUs).
        select = row(app, "device").query_one(Select)
        assert row(app, "device").offered == ("auto", "cpu")
        app.devices = ("auto", "cpu", "cuda:0")
        await pilot.pause()
        assert row(app, "device").offered == ("auto", "cpu", "cuda:0")
        select.value = "cuda:0"
        await pilot.pause()
        assert app.experiment.train.device == "cuda:0"
        # A device that is not listed (from a preset file, say) stays selected and offered.
        app.set_experiment(app.experiment.with_train(device="cuda:3"))
        await pilot.pause()
        assert select.value == "cuda:3"
        assert row(app, "device").offered == ("auto", "cpu", "cuda:0", "cuda:3")


async def test_invalid_text_is_kept_marked_and_blocks_until_fixed() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        before = app.experiment
        field = await type_into(pilot, "lr", "0.0x")
        assert field.value == "0.0x"
        assert row(app, "lr").has_class("-invalid")
        assert "learning rate (lr) must be a number, not '0.0x'" in error_text(app, "lr")
        assert "train.lr" in app.invalid_fields
        assert "learning rate (lr) must be a number, not '0.0x'" in app.blockers()
        assert app.experiment.train == before.train
        await pilot.press("backspace")
        await pilot.pause()
        assert "learning rate (lr) must be greater than 0, not 0" in error_text(app, "lr")
        assert app.experiment.train.lr == before.train.lr
        # A preset picked meanwhile does not overwrite the text being fixed.
        app.select_preset("mlp")
        await pilot.pause()
        assert field.value == "0.0" and "train.lr" in app.invalid_fields
        await pilot.press("2")  # the Model tab's key: typed here, it is text
        await pilot.pause()
        assert field.value == "0.02"
        assert app.experiment.train.lr == 0.02
        assert "train.lr" not in app.invalid_fields and app.blockers() == []
        assert not row(app, "lr").has_class("-invalid") and error_text(app, "lr") == ""
        # Integers: a fraction is refused with the reason.
        epochs = row(app, "epochs").query_one(Input)
        epochs.value = "2.5"
        await pilot.pause()
        assert "epochs must be an integer, not '2.5'" in error_text(app, "epochs")
        epochs.value = "0"
        await pilot.pause()
        assert "epochs must be at least 1, not 0" in error_text(app, "epochs")
        epochs.value = "3"
        await pilot.pause()
        assert app.experiment.train.epochs == 3 and not app.invalid_fields


async def test_the_field_being_typed_in_stays_in_view_with_its_message() -> None:
    """A field on the last visible line of the form: the error that appears beneath it as the user types is
    scrolled into view with it (it appeared below the screen's edge, out of sight)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: bool(app.query("#hparams-form")), what="the form")
        scroll = app.query_one("#hparams-scroll")
        target = row(app, "grad_clip")
        field = target.query_one(Input)
        field.focus()
        await pilot.pause()
        # Scroll so that the field's line is the last one the pane shows.
        scroll.scroll_to(y=scroll.scroll_y + field.region.y - scroll.content_region.bottom + 1, animate=False)
        await wait_until(pilot, lambda: field.region.bottom == scroll.content_region.bottom, what="field at the edge")
        field.action_end()
        await pilot.press("x")
        error = target.query_one(".field-error")
        await wait_until(
            pilot,
            lambda: "must be a number" in error_text(app, "grad_clip"),
            what="the error",
        )
        await wait_until(
            pilot,
            lambda: error.region.height > 0 and error.region.bottom <= scroll.content_region.bottom,
            what="the error scrolled into view",
        )
        assert scroll.content_region.contains_region(field.region), "the field itself stays in view"


async def test_a_select_mounted_without_its_overlay_does_not_end_the_app() -> None:
    """Seen under load: a deferred form's Select mounted (the app closing) without its overlay, and Select's
    own mount handler raised NoMatches, which ended the app with a traceback."""
    from textual.app import App

    from tui_trainer.ui.widgets.field_form import FieldSelect

    class Bare(FieldSelect):
        def compose(self):  # noqa: ANN202 - what a select being removed while it mounts looks like
            yield from ()

    class One(App):
        def compose(self):  # noqa: ANN202
            yield Bare([("a", "a"), ("b", "b")], value="b", allow_blank=False)

    app = One()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.is_running and app.query_one(Bare).is_attached


async def test_a_select_whose_current_box_is_not_composed_does_not_end_the_app() -> None:
    """Seen in CI: a dialog pushed while the main screen's forms mounted; a Select had its overlay but its
    current-value box had no label yet, and Select's mount handler raised NoMatches ('#label')."""
    from textual.app import App
    from textual.widgets._select import SelectCurrent, SelectOverlay

    from tui_trainer.ui.widgets.field_form import FieldSelect

    class Hollow(SelectCurrent):
        def compose(self):  # noqa: ANN202 - not composed yet
            yield from ()

    class HalfBuilt(FieldSelect):
        def compose(self):  # noqa: ANN202 - the overlay is there, the current box is hollow
            yield Hollow(self.prompt)
            yield SelectOverlay()

    class One(App):
        def compose(self):  # noqa: ANN202
            yield HalfBuilt([("a", "a"), ("b", "b")], value="b", allow_blank=False)

    app = One()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.is_running and app.query_one(HalfBuilt).is_attached
