"""The footer: Textual's, minus the key widgets each recompose left alive (textual#6666), with the keys that start,
pause, stop and quit first, so a narrow terminal never cuts them off."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.dom import DOMNode
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


def forget_closed_watchers(node: DOMNode) -> int:
    """Drop the watchers that closed widgets left on node's reactives; returns how many were dropped.

    `child.data_bind(x=Parent.x)` and `child.watch(parent, "x", ...)` store (child, callback) on the
    parent, and Textual prunes closed children from that list only when parent.x changes. The Footer's
    `compact` never changes, and the Footer recomposes (new FooterKeys, each bound to `compact`) on
    every focus or binding change, so every FooterKey it ever made stayed reachable (textual 8.2.8,
    https://github.com/Textualize/textual/issues/6666). This is the pruning Textual would do.
    """
    watchers = getattr(node, "__watchers", None)  # Textual's own attribute (set with setattr, not mangled)
    if not isinstance(watchers, dict):
        return 0
    dropped = 0
    for entries in watchers.values():
        kept = [(owner, callback) for owner, callback in entries if not getattr(owner, "_closing", False)]
        dropped += len(entries) - len(kept)
        entries[:] = kept
    return dropped


class Footer(TextualFooter):
    """Textual's Footer whose recomposes let the replaced key widgets go (see forget_closed_watchers)."""

    async def recompose(self) -> None:
        """Recompose as Textual does, then forget the watchers of the keys it removed."""
        await super().recompose()
        forget_closed_watchers(self)


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
            ).data_bind(compact=TextualFooter.compact)
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
