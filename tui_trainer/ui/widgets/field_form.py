"""A validated form generated from a config dataclass's field metadata (DataSpec, TrainSpec)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch
from textual.widgets._select import SelectOverlay

from tui_trainer.core.spec.experiment import check_field, field_help, field_label, field_type, parse_value, spec_fields
from tui_trainer.ui.widgets.switch_state import SwitchState

UNSET = object()
"""No value shown yet (the next show_value writes the control)."""


def format_value(value: Any) -> str:
    """A config value as the user types it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_text(spec_type: type, name: str, text: str) -> tuple[Any, str | None]:
    """(value, None) when text is a valid value of the field, else (None, why) in words."""
    try:
        value = parse_value(spec_type, name, text)
    except ValueError as exc:
        return None, str(exc)
    why = check_field(spec_type, name, value)
    if why:
        return None, f"{field_label(spec_type, name)} {why}"
    return value, None


class FieldSelect(Select):
    """Textual's Select, safe when it is mounted without its overlay: a deferred form removed while it mounts
    (the app closing during start-up on a busy machine) raised NoMatches from Select's own mount handler and
    ended the app with a traceback. Its options go in once it is composed, or never if it is gone."""

    def _on_mount(self, event: events.Mount) -> None:
        if not self._composed():
            event.prevent_default()  # Select's handler would query the missing overlay or label
            self.call_after_refresh(self._mount_late)

    def _composed(self) -> bool:
        """Whether Select's parts are there: its overlay, and the label inside its current-value box (seen
        missing too when a dialog was pushed while the main screen's forms mounted)."""
        return bool(self.query(SelectOverlay)) and bool(self.query("SelectCurrent #label"))

    def _mount_late(self, tries: int = 100) -> None:
        if not self.is_attached:
            return
        if self._composed():
            self._setup_options_renderables()
            self._init_selected_option(self._value)
        elif tries:
            self.call_after_refresh(self._mount_late, tries - 1)


class FieldRow(Vertical):
    """One config field: label, control (Input, Select or Switch), one-line help and an error line.

    Typing is never overwritten: the row acts only on the change event that matches the text in the field now
    (a burst of keys queues one event per key; the older ones are skipped), and show_value writes the control
    only when the experiment's value is not the one the control already stands for (the user's own edit coming
    back from the experiment leaves the text as typed: "1e-3" stays "1e-3", not "0.001")."""

    class Edited(Message):
        """The user changed the field: a valid value (error None) or text that is not valid."""

        def __init__(self, row: FieldRow, value: Any, error: str | None) -> None:
            super().__init__()
            self.row = row
            self.field_name = row.field_name
            self.key = row.key
            """Field name with its section, e.g. "train.lr" (as in app.invalid_fields)."""
            self.value = value
            self.error = error

    def __init__(
        self, spec_type: type, name: str, value: Any, *, prefix: str, choices: Sequence[str] | None = None
    ) -> None:
        super().__init__(id=f"field-{name}", classes="field-row")
        self.spec_type = spec_type
        self.field_name = name
        self.key = f"{prefix}.{name}"
        self.kind = field_type(spec_type, name)
        meta = spec_fields(spec_type)[name].metadata
        self.choices: tuple[str, ...] | None = tuple(choices or meta.get("choices") or ()) or None
        self.value = value
        self.shown: Any = value
        """The value the control stands for now: as last typed (when valid) or last written."""
        self.error: str | None = None
        """Why the typed text is not valid (the text is kept), or None."""
        self.problem: str | None = None
        """A problem of the value in the experiment (e.g. nesterov without momentum), or None."""
        self.shown_message: str | None = None
        self._control: Widget | None = None
        self.offered: tuple[Any, ...] = ()
        """The values a Select offers now."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-line"):
            yield Label(self.field_name, classes="field-label")
            control = self._make_control()
            yield control
            if isinstance(control, Switch):
                yield SwitchState(control)
        yield Static(field_help(self.spec_type, self.field_name), classes="field-help", markup=False)
        yield Static("", classes="field-error", markup=False)

    def _make_control(self) -> Widget:
        cid = f"input-{self.field_name}"
        if self.choices is not None:
            options = self._options(self.choices, self.value)
            return FieldSelect(
                options, value=self.value, allow_blank=False, compact=True, id=cid, classes="field-control"
            )
        if self.kind is bool:
            return Switch(bool(self.value), animate=False, id=cid, classes="field-control")
        return Input(format_value(self.value), compact=True, id=cid, classes="field-control", select_on_focus=False)

    def _options(self, choices: Sequence[str], current: Any) -> list[tuple[Text, str]]:
        """Select options for the choices plus the current value (kept even when not a choice); the prompts
        are Text: a str prompt is read as markup, and the current value may be any text of a TOML file."""
        values = list(choices)
        if current not in values:
            values.append(current)
        self.offered = tuple(values)
        return [(Text(str(v)), v) for v in values]

    @property
    def control(self) -> Widget:
        """The Input, Select or Switch of this field."""
        if self._control is None:
            self._control = self.query_one(".field-control")
        return self._control

    # ------------------------------------------------------------ attributes down

    def show_value(self, value: Any) -> None:
        """Show the experiment's value, unless the field holds typed text that is not valid (kept) or the
        control stands for this value already (the user's own edit: the text stays as typed)."""
        self.value = value
        if self.error is not None or (self.shown is not UNSET and self.shown == value):
            return
        self.shown = value
        control = self.control
        if isinstance(control, Input):
            with control.prevent(Input.Changed):
                control.value = format_value(value)
        elif isinstance(control, Select):
            if value not in self.offered:
                self.set_choices(self.choices or (), value)
            with control.prevent(Select.Changed):
                control.value = value
        elif isinstance(control, Switch):
            with control.prevent(Switch.Changed):
                control.value = bool(value)

    def set_choices(self, choices: Sequence[str], current: Any | None = None) -> None:
        """Offer other choices in the Select (the current value stays, listed or not)."""
        control = self.control
        if not isinstance(control, Select):
            return
        self.choices = tuple(choices)
        keep = self.value if current is None else current
        if isinstance(control, FieldSelect) and not control._composed():
            # Not composed yet (a busy machine mounts the deferred forms late): Select.set_options would raise
            # NoMatches. Once it is composed, the choices go in.
            control.call_after_refresh(self.set_choices, self.choices, keep)
            return
        with control.prevent(Select.Changed):
            control.set_options(self._options(self.choices, keep))
            control.value = keep

    def discard_edit(self) -> None:
        """Forget typed text that is not valid and show the experiment's value again."""
        self.error = None
        self._show_message()
        self.shown = UNSET
        self.show_value(self.value)

    def show_problem(self, problem: str | None) -> None:
        """Show a problem of the experiment's value at this field (typed-text errors take priority)."""
        self.problem = problem
        self._show_message()

    def _show_message(self) -> None:
        message = self.error or self.problem
        if message == self.shown_message:
            return  # an update would cost a layout pass (every row is refreshed on every change)
        self.shown_message = message
        self.set_class(message is not None, "-invalid")
        self.query_one(".field-error", Static).update(message or "")

    # ------------------------------------------------------------ messages up

    def _edited(self, value: Any, error: str | None) -> None:
        self.error = error
        if error is None:
            self.shown = value
        self._show_message()
        self.post_message(self.Edited(self, value, error))
        keep_in_view(self)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != event.input.value:
            return  # typed over since (a burst of keys): the change event of the text there now follows
        value, error = check_text(self.spec_type, self.field_name, event.value)
        self._edited(value, error)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        self._edited(event.value, None)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self._edited(event.value, None)


class FieldForm(Vertical):
    """Rows for some fields of a config dataclass, in titled groups; rows post FieldRow.Edited."""

    def __init__(
        self,
        spec: Any,
        groups: Sequence[tuple[str, Sequence[str]]],
        *,
        prefix: str,
        choices: dict[str, Sequence[str]] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="field-form")
        self.spec = spec
        self.groups = groups
        self.prefix = prefix
        self.extra_choices = choices or {}

    def compose(self) -> ComposeResult:
        spec_type = type(self.spec)
        for title, names in self.groups:
            if title:
                yield Static(title, classes="form-heading", id=f"heading-{_slug(title)}")
            for name in names:
                yield FieldRow(
                    spec_type, name, getattr(self.spec, name), prefix=self.prefix, choices=self.extra_choices.get(name)
                )

    def row(self, name: str) -> FieldRow:
        """The row of the field called name."""
        return self.query_one(f"#field-{name}", FieldRow)

    def show_spec(self, spec: Any, problems: dict[str, str] | None = None) -> None:
        """Show a spec's values (and problems by field name) in every row."""
        self.spec = spec
        problems = problems or {}
        for row in self.query(FieldRow):
            row.show_value(getattr(spec, row.field_name))
            row.show_problem(problems.get(row.field_name))

    def show_only(self, names: Sequence[str]) -> None:
        """Show only the rows of these fields (the rest are hidden, their values kept)."""
        changed = False
        for row in self.query(FieldRow):
            shown = row.field_name in names
            if row.display != shown:
                row.display = shown
                changed = True
        focused = self.screen.focused if changed else None
        rows = [a for a in focused.ancestors_with_self if isinstance(a, FieldRow)] if focused is not None else []
        if rows and self in rows[0].ancestors:
            keep_in_view(rows[0])


def keep_in_view(row: FieldRow) -> None:
    """While the user types in a row, keep the whole row (its field and the message beneath) on screen once
    the layout settled: a message appearing beneath it, lines appearing above it (a note that grows, rows
    shown for another choice) must not push the field being typed in out of view."""
    focused = row.screen.focused
    if focused is not None and row in focused.ancestors_with_self:
        row.call_after_refresh(row.scroll_visible, animate=False)


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
