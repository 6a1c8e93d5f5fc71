"""The footer: the keys that start, pause, stop and quit come first, so a narrow terminal never cuts them off."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

FIRST_ACTIONS = ("start", "pause", "stop", "quit")
"""The app's run keys, shown before any tab's own keys (Textual's footer puts the focused widget's first)."""


class RunKeysFooter(Footer):
    """Textual's Footer with FIRST_ACTIONS first, then the other shown keys in their usual order."""

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown: dict[str, tuple] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = (binding, enabled, tooltip)
        first = [shown[action] for action in FIRST_ACTIONS if action in shown]
        rest = [entry for action, entry in shown.items() if action not in FIRST_ACTIONS]
        self.styles.grid_size_columns = len(shown)
        for binding, enabled, tooltip in first + rest:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            entry = active.get(self.app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                _node, binding, enabled, tooltip = entry
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    classes="-command-palette",
                    disabled=not enabled,
                    tooltip=binding.tooltip or binding.description,
                )
