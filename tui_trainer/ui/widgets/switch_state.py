"""SwitchState: "on" / "off" in words beside a Switch, following its value (a slider alone reads ambiguously)."""

from __future__ import annotations

from textual.widgets import Static, Switch


class SwitchState(Static):
    """The word for a Switch's value, kept up to date however the value changes (typed, toggled, set)."""

    def __init__(self, switch: Switch) -> None:
        super().__init__("on" if switch.value else "off", classes="switch-state", markup=False)
        self.switch = switch
        self.set_class(switch.value, "-on")

    def on_mount(self) -> None:
        self.watch(self.switch, "value", self._show)

    def _show(self, value: bool) -> None:
        self.update("on" if value else "off")
        self.set_class(value, "-on")
