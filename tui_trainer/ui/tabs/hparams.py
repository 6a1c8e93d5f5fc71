"""The Hyperparams tab: every TrainSpec field as a validated form, grouped, applied as you type."""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.widgets import Static, Tabs

from tui_trainer.core.spec.experiment import Experiment, validate
from tui_trainer.ui.widgets.field_form import FieldForm, FieldRow

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Optimizer", ("optimizer", "lr", "momentum", "nesterov")),
    ("Schedule", ("schedule", "step_size", "gamma")),
    ("Batches & epochs", ("batch_size", "epochs")),
    ("Regularisation", ("weight_decay", "label_smoothing", "grad_clip", "patience", "restore_best")),
    ("Init & seed", ("init", "init_std", "seed")),
    ("Device & speed", ("device", "threads", "mixed_precision", "channels_last", "compile")),
)
"""Headings and the TrainSpec fields under each, in the order the lecture meets them."""


class HparamsPane(Container):
    """Edit the hyperparameters: each change is validated, shown at its field and applied at once."""

    BINDINGS = [
        Binding("tab", "app.focus_next", "Next field"),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False),
    ]

    def compose(self) -> ComposeResult:
        # The form (~140 widgets) is mounted when the tab first shows: the app starts quicker.
        with VerticalScroll(id="hparams-scroll", can_focus=False):
            yield Static("", id="hparams-intro")
            yield Static(
                "Dropout is a layer: add it on the Model tab (2). Early stopping: patience above.",
                id="hparams-note",
                classes="field-help",
            )

    def on_mount(self) -> None:
        self._form_lock = asyncio.Lock()
        self.watch(self.app, "experiment", self._show_experiment)
        self.watch(self.app, "devices", self._show_devices)
        self.watch(self.app, "preset_name", self._show_intro)
        self.call_after_refresh(self._build_form)

    async def _build_form(self) -> None:
        """Mount the form once, after the first frame (the app appears sooner)."""
        async with self._form_lock:  # the first show may race the deferred build
            if self.form is None:
                await self._mount_form()

    async def _mount_form(self) -> None:
        form = FieldForm(
            self.app.experiment.train,
            GROUPS,
            prefix="train",
            choices={"device": self.app.devices},
            id="hparams-form",
        )
        await self.query_one("#hparams-scroll").mount(form, before="#hparams-note")
        self._show_experiment(self.app.experiment)

    async def on_show(self) -> None:
        await self._build_form()
        focused = self.screen.focused
        if not isinstance(focused, Tabs) and (focused is None or self not in focused.ancestors):
            self.query_one("#input-optimizer").focus()

    async def focus_field(self, name: str) -> None:
        """Focus a TrainSpec field's control (the form is built first when it is not yet)."""
        await self._build_form()
        self.query_one(f"#input-{name}").focus()

    @property
    def form(self) -> FieldForm | None:
        """The generated form (None until the tab has been shown)."""
        forms = self.query("#hparams-form")
        return forms.first(FieldForm) if forms else None

    def _show_intro(self, preset: str) -> None:
        # The preset's name is the user's: a template variable is inserted as plain text, never read as markup.
        self.query_one("#hparams-intro", Static).update(
            Content.from_markup(
                "Hyperparameters (from the preset [b]$preset[/b]). Changes apply as you type; "
                "a value in red is not valid and blocks training until it is fixed.",
                preset=preset or "none",
            )
        )

    def _show_experiment(self, experiment: Experiment) -> None:
        problems: dict[str, str] = {}
        for problem in validate(experiment):
            section, _, name = problem.field.partition(".")
            if section == "train" and name not in problems:
                problems[name] = str(problem)  # the field's label and the bad value, as everywhere
        if self.form is not None:
            self.form.show_spec(experiment.train, problems)

    def _show_devices(self, devices: tuple[str, ...]) -> None:
        if self.form is not None:
            self.form.row("device").set_choices(devices, self.app.experiment.train.device)

    def on_field_row_edited(self, event: FieldRow.Edited) -> None:
        """Apply a valid value to the experiment, or mark the field as holding invalid text."""
        event.stop()
        if event.error is not None:
            self.app.set_invalid(event.key, True)
            return
        self.app.set_invalid(event.key, False)
        experiment = self.app.experiment
        if getattr(experiment.train, event.field_name) != event.value:
            self.app.set_experiment(experiment.with_train(**{event.field_name: event.value}))
