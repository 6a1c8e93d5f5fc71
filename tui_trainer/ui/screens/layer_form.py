"""The modal layer form: pick a layer type, type its arguments, each checked live; Enter applies from any field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, Switch

from tui_trainer.core.spec.experiment import LayerSpec
from tui_trainer.core.spec.layers import CATALOGUE, Arg, check_layer
from tui_trainer.core.spec.numbers import number_text
from tui_trainer.ui.widgets.footer import Footer
from tui_trainer.ui.widgets.switch_state import SwitchState

FitText = Callable[[LayerSpec], tuple[str, bool]]
"""Given a candidate layer, one line on how it fits in the stack (output shape or why not) and
whether it fits. A layer that does not fit yet may still be applied: the table then marks it."""


def parse_arg(arg: Arg, text: str) -> tuple[Any, str | None]:
    """(value, None) for the typed text of an int/float argument ("" -> None: the default), or (None, why)."""
    text = text.strip()
    if not text or text.lower() in ("auto", "default"):
        return None, None
    try:
        number = float(text)
    except ValueError:
        kind = "an integer" if arg.type is int else "a number"
        return None, f"{arg.name} must be {kind}, not {text!r}"
    if arg.type is int:
        if not number.is_integer():
            return None, f"{arg.name} must be an integer, not {text!r}"
        return int(number), None
    return number, None


class ArgRow(Vertical):
    """One argument of the chosen layer type: label, Input (or Switch for bools), help and error."""

    def __init__(self, arg: Arg, value: Any) -> None:
        super().__init__(id=f"argrow-{arg.name}", classes="field-row")
        self.arg = arg
        self.initial = value

    def compose(self) -> ComposeResult:
        arg = self.arg
        with Horizontal(classes="field-line"):
            yield Label(arg.name, classes="field-label")
            if arg.type is bool:
                value = arg.default if self.initial is None else self.initial
                switch = Switch(bool(value), animate=False, id=f"arg-{arg.name}", classes="field-control")
                yield switch
                yield SwitchState(switch)
            else:
                default = "auto" if arg.default is None else str(arg.default)
                text = "" if self.initial is None else str(self.initial)
                yield Input(
                    text,
                    placeholder=f"{default} (default)",
                    compact=True,
                    id=f"arg-{arg.name}",
                    classes="field-control",
                )
        limits = _limits(arg)
        yield Static(arg.help + (f" {limits}" if limits else ""), classes="field-help", markup=False)
        yield Static("", classes="field-error", markup=False)

    def read(self) -> tuple[Any, str | None]:
        """The typed value (None = default) and the parse error, if any."""
        control = self.query_one(f"#arg-{self.arg.name}")
        if isinstance(control, Switch):
            explicit = self.initial is not None or control.value != self.arg.default
            return (control.value if explicit else None), None
        assert isinstance(control, Input)
        return parse_arg(self.arg, control.value)

    def text(self) -> str | None:
        """The raw typed text (to keep it when the layer type changes), None for switches."""
        control = self.query_one(f"#arg-{self.arg.name}")
        return control.value if isinstance(control, Input) else None

    def show_error(self, error: str | None) -> None:
        """Show (or clear) the message under the field."""
        self.set_class(error is not None, "-invalid")
        self.query_one(".field-error", Static).update(error or "")


def _limits(arg: Arg) -> str:
    if arg.min is not None and arg.max is not None:
        return f"({number_text(arg.min)} to {number_text(arg.max)})"
    return ""


class LayerForm(ModalScreen[LayerSpec | None]):
    """Edit or create one layer; dismisses with the new LayerSpec, or None when cancelled.

    Enter applies from every field, as the form says: on a switch (which Enter would toggle) and on the
    closed type list (which Enter would open) too. Space toggles a switch and opens the list; in the open
    list Enter picks the type, and on the Cancel button Enter cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "apply_from_field", "Apply", show=False, priority=True),
        Binding("ctrl+s", "apply", "Apply"),
    ]

    def __init__(self, layer: LayerSpec | None, title: str, fit: FitText | None = None) -> None:
        super().__init__()
        self.initial_layer = layer or LayerSpec("Linear")
        self.title_text = title
        self.fit = fit
        self.kept_text: dict[str, str] = {}
        """Typed argument texts, kept when the type changes (Conv2d -> MaxPool2d keeps kernel_size)."""
        self.shown_type: str | None = None

    def compose(self) -> ComposeResult:
        options = [(f"{t.name}  ({t.group})", t.name) for t in CATALOGUE.values()]
        with Vertical(id="layer-form"):
            yield Static(self.title_text, id="layer-form-title", markup=False)
            with Horizontal(classes="field-line"):
                yield Label("type", classes="field-label")
                value = self.initial_layer.type if self.initial_layer.type in CATALOGUE else "Linear"
                yield Select(
                    options, value=value, allow_blank=False, compact=True, id="layer-type", classes="field-control"
                )
            yield Static("", id="layer-type-help", classes="field-help", markup=False)
            yield VerticalScroll(id="layer-args", can_focus=False)
            yield Static("", id="layer-fit", markup=False)
            yield Static("", id="layer-form-error", markup=False)
            with Horizontal(id="layer-form-buttons"):
                keys = "enter applies · space toggles or opens · esc cancels"
                yield Static(keys, classes="field-help", id="layer-form-keys")
                yield Button("OK", variant="primary", id="layer-ok", compact=True)
                yield Button("Cancel", id="layer-cancel", compact=True)
        yield Footer()

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_height)

    def _fit_height(self) -> None:
        """Fit the dialog in short terminals: the arguments scroll, the buttons stay in view (nothing when the
        dialog was closed before its refresh came: a busy machine)."""
        if not self.is_attached or not self.query("#layer-form") or not self.query("#layer-args"):
            return
        dialog = self.query_one("#layer-form")
        fixed = sum(w.outer_size.height + w.styles.margin.height for w in dialog.children if w.id != "layer-args")
        room = self.size.height - fixed - dialog.styles.gutter.height - 1  # 1: the footer
        self.query_one("#layer-args").styles.max_height = max(3, room)

    async def on_mount(self) -> None:
        await self._show_type(
            self.initial_layer.type if self.initial_layer.type in CATALOGUE else "Linear", self.initial_layer.args
        )

    async def _show_type(self, type_name: str, values: dict[str, Any]) -> None:
        """Show the help and one row per argument of a layer type."""
        layer_type = CATALOGUE[type_name]
        self.shown_type = type_name
        self.query_one("#layer-type-help", Static).update(layer_type.help)
        box = self.query_one("#layer-args", VerticalScroll)
        await box.remove_children()
        rows = []
        for arg in layer_type.args:
            value = values.get(arg.name)
            if value is None and arg.name in self.kept_text and arg.type is not bool:
                value = self.kept_text[arg.name] or None
            rows.append(ArgRow(arg, value))
        if rows:
            await box.mount_all(rows)
        else:
            await box.mount(Static("This layer has no arguments.", classes="field-help"))
        self.check()
        self.call_after_refresh(self._fit_height)
        first = box.query(".field-control")
        (first.first() if first else self.query_one("#layer-type")).focus()

    @property
    def type_name(self) -> str:
        """The chosen layer type."""
        value = self.query_one("#layer-type", Select).value
        return value if isinstance(value, str) else "Linear"

    def check(self) -> LayerSpec | None:
        """Validate every field, show the messages at the fields; the LayerSpec when all are valid."""
        args: dict[str, Any] = {}
        errors: dict[str, str] = {}
        rows = list(self.query(ArgRow))
        for row in rows:
            value, error = row.read()
            if error:
                errors[row.arg.name] = error
            elif value is not None:
                args[row.arg.name] = value
        spec = LayerSpec(self.shown_type or self.type_name, args)
        general = []
        for why in check_layer(spec):
            name = next((r.arg.name for r in rows if why.startswith(f"{r.arg.name} ")), None)
            if name is None:
                general.append(why)
            else:
                errors.setdefault(name, why)
        for row in rows:
            row.show_error(errors.get(row.arg.name))
        ok = not errors and not general
        message = "; ".join(general) or (
            f"Fix the field{'s' if len(errors) > 1 else ''} in red to apply." if errors else ""
        )
        self.query_one("#layer-form-error", Static).update(message)
        text, fits = self.fit(spec) if (ok and self.fit) else ("", True)
        fit_line = self.query_one("#layer-fit", Static)
        fit_line.update(text)
        fit_line.set_class(not fits, "-warning")
        return spec if ok else None

    @on(Select.Changed, "#layer-type")
    async def _type_changed(self, event: Select.Changed) -> None:
        for row in self.query(ArgRow):
            text = row.text()
            if text is not None:
                self.kept_text[row.arg.name] = text
        if isinstance(event.value, str) and event.value != self.shown_type:
            await self._show_type(event.value, {})

    def on_input_changed(self, event: Input.Changed) -> None:
        self.check()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        self.check()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_apply()

    @on(Button.Pressed, "#layer-ok")
    def _ok(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#layer-cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    def action_apply_from_field(self) -> None:
        """Enter in any field applies the form; in the open type list it picks a type, on a button presses it."""
        if isinstance(self.focused, Button) or self.query_one("#layer-type", Select).expanded:
            raise SkipAction()
        self.action_apply()

    def action_apply(self) -> None:
        """Close with the layer, unless a field is not valid (the form stays, with the messages)."""
        spec = self.check()
        if spec is not None:
            self.dismiss(spec)

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
