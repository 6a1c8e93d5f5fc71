"""Keys for a text field, handled in the order they were typed, even when a burst of them arrives at once.

Textual inserts a printable character in the focused Input's own handler, but runs a bound key (backspace,
end, the arrows, tab, ctrl+k) only when the key has bubbled from the Input up to the app, a message queue per
widget on the way. Keys that arrive together (SSH lag, a paste-like burst from the terminal) are all queued at
the Input first: it inserts every character at once and the bound keys follow later, out of order
("0.002", end, 7 x backspace, "abc" became "0": the backspaces ate "abc"). Textual issue #6605.

So the app handles a key for a focused text field itself, one key after the other in its own queue:
priority bindings, then the character, then the bindings from the field up (as Textual would, only inline),
then anything else the way Textual forwards it. Nothing is queued between two keys, so focus moves (tab)
and edits land in the order typed.
"""

from __future__ import annotations

from typing import TypeGuard

from textual import events
from textual.app import App
from textual.widget import Widget
from textual.widgets import Input


def handles_keys_in_order(widget: Widget | None) -> TypeGuard[Input]:
    """True for the widgets whose keys the app handles itself, in order (the one-line text fields)."""
    return isinstance(widget, Input)


async def type_into(app: App, field: Input, event: events.Key) -> None:
    """Handle one key for the focused text field now, before the next key is looked at."""
    if await app._check_bindings(event.key, priority=True):  # Textual's own first step
        return
    if event.is_printable and event.character is not None:
        field._restart_blink()  # what Input's own key handler does first
        selection = field.selection
        if selection.is_empty:
            field.insert_text_at_cursor(event.character)
        else:
            field.replace(event.character, *selection)
        return
    if await app._check_bindings(event.key):  # the field's, its parents', the app's bindings
        return
    field._forward_event(event)  # a key nobody binds: as Textual delivers it
