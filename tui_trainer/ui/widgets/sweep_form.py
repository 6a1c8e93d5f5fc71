"""The Sweep tab's form: a row per searched field (its range text, what it is now, its error beneath) and the
sweep's options, in the Hyperparams tab's field-row look; rows post what was typed, the pane checks it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from tui_trainer.core.sweep.draft import OPTION_CHOICES, OPTIONS, SweepDraft, param_key
from tui_trainer.ui.widgets.field_form import FieldSelect, keep_in_view

OPTION_HELP = {
    "trials": "the budget: trials over all workers together",
    "sampler": "tpe learns from earlier trials; random; grid: every point",
    "pruner": "median stops a trial worse than the median at an epoch",
    "objective": "what a trial is scored on (accuracy up, loss down)",
    "workers": "processes on this machine (they split the CPU cores)",
}
RANGE_HELP = "LOW..HIGH (:log for a log scale) or choices A,B,C"


def slug(name: str) -> str:
    """A widget id part for a field name (layers.4.out_features -> layers-4-out_features)."""
    return "".join(c if c.isalnum() or c == "_" else "-" for c in name)


class SweepRow(Vertical):
    """One row of the form: a label, a control, a help line and an error line (shown while there is one)."""

    class Edited(Message):
        """The row's text or choice changed."""

        def __init__(self, row: SweepRow, text: str) -> None:
            super().__init__()
            self.row, self.key, self.text = row, row.key, text

    def __init__(self, key: str, label: str, help_text: str, *, row_id: str) -> None:
        super().__init__(id=row_id, classes="field-row sweep-row")
        self.key = key
        """The error key of the row (draft.param_key for a field, the option's name)."""
        self.label = label
        self.help_text = help_text
        self.error: str | None = None

    def show_error(self, error: str | None) -> None:
        """Show the row's error beneath it (None: none)."""
        if error == self.error:
            return
        self.error = error
        self.set_class(error is not None, "-invalid")
        self.query_one(".field-error", Static).update(error or "")

    def _edited(self, text: str) -> None:
        self.post_message(self.Edited(self, text))
        keep_in_view(self)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value == event.input.value:  # a burst of keys: the event of the text there now follows
            self._edited(event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            self._edited(str(event.value))


class ParamRow(SweepRow):
    """A searched field: its range text, a button that stops searching it."""

    class Removed(Message):
        """The user asked to stop searching this field."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, name: str, text: str, description: str) -> None:
        super().__init__(param_key(name), name, f"{description}; {RANGE_HELP}", row_id=f"sweep-param-{slug(name)}")
        self.field_name = name
        self.text = text

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-line"):
            yield Label(self.label, classes="field-label sweep-label", markup=False)
            yield Input(self.text, compact=True, classes="field-control sweep-range", select_on_focus=False)
            yield Button("remove", compact=True, classes="sweep-remove")
        yield Static(self.help_text, classes="field-help", markup=False)
        yield Static("", classes="field-error", markup=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Removed(self.field_name))

    def show_description(self, description: str) -> None:
        """Say what the field is now (the experiment changed)."""
        self.query_one(".field-help", Static).update(f"{description}; {RANGE_HELP}")

    @property
    def input(self) -> Input:
        """The range text's field."""
        return self.query_one(Input)


class OptionRow(SweepRow):
    """One of the sweep's options: trials and workers typed, sampler, pruner and objective chosen."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(name, name, OPTION_HELP[name], row_id=f"sweep-option-{name}")
        self.value = value

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-line"):
            yield Label(self.label, classes="field-label", markup=False)
            choices = OPTION_CHOICES.get(self.label)
            if choices:
                yield FieldSelect(
                    [(Text(c), c) for c in choices],
                    value=self.value,
                    allow_blank=False,
                    compact=True,
                    classes="field-control",
                    id=f"sweep-opt-{self.label}",
                )
            else:
                yield Input(self.value, compact=True, classes="field-control", id=f"sweep-opt-{self.label}")
        yield Static(self.help_text, classes="field-help", markup=False)
        yield Static("", classes="field-error", markup=False)

    def show_value(self, value: str) -> None:
        """Show a value loaded from a file."""
        control = self.query_one(".field-control")
        if isinstance(control, Input) and control.value != value:
            with control.prevent(Input.Changed):
                control.value = value
        elif isinstance(control, Select) and control.value != value:
            with control.prevent(Select.Changed):
                control.value = value


class SweepForm(VerticalScroll):
    """The define view: the fields to search (added from a list), the options, the space's own error."""

    class Added(Message):
        """A field was picked to be searched."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, draft: SweepDraft, offered: Sequence[str], descriptions: dict[str, str], **kwargs) -> None:
        # focusable itself: the tab's single keys work there (a focused Select takes letters to open itself)
        super().__init__(can_focus=True, **kwargs)
        self.draft = draft
        self.offered = list(offered)
        self.descriptions = descriptions

    def compose(self) -> ComposeResult:
        yield Static(
            "Search: fields of the Hyperparams tab, layer arguments (layers.N.ARG)",
            classes="form-heading sweep-heading",
        )
        yield FieldSelect(
            self._options(), prompt="add a field to search...", compact=True, id="sweep-add", allow_blank=True
        )
        with Vertical(id="sweep-params"):
            for name, text in self.draft.params:
                yield ParamRow(name, text, self.descriptions.get(name, ""))
        yield Static("", id="sweep-space-error", classes="field-error", markup=False)
        yield Static("Budget and search", classes="form-heading sweep-heading")
        for name in OPTIONS:
            yield OptionRow(name, getattr(self.draft, name))
        yield Static(
            "s starts the sweep in its own process (quitting the app leaves it running), w saves sweep.toml, "
            "o loads one, v shows the trials.",
            classes="field-help",
        )

    def _options(self) -> list[tuple[Text, str]]:
        searched = {name for name, _ in self.draft.params}
        return [(Text(name), name) for name in self.offered if name not in searched]

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "sweep-add":
            return
        event.stop()
        if event.value is Select.NULL:
            return
        self.post_message(self.Added(str(event.value)))

    def offer(self, offered: Sequence[str], draft: SweepDraft, descriptions: dict[str, str]) -> None:
        """Offer these fields in the add list (those not searched yet), the picker left blank."""
        self.offered, self.draft, self.descriptions = list(offered), draft, descriptions
        picker = self.query_one("#sweep-add", FieldSelect)
        if not picker.query("SelectOverlay"):
            picker.call_after_refresh(self.offer, offered, draft, descriptions)
            return
        with picker.prevent(Select.Changed):
            picker.set_options(self._options())

    def rows(self) -> list[SweepRow]:
        """Every row (fields, then options)."""
        return list(self.query(SweepRow))

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each row's error beneath it, the space's own below the fields."""
        for row in self.rows():
            row.show_error(errors.get(row.key))
        space = self.query_one("#sweep-space-error", Static)
        space.update(errors.get("space", ""))
        space.display = "space" in errors
