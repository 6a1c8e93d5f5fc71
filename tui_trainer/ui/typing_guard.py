"""TypingGuard: text typed past a text field does nothing, instead of firing single-letter shortcuts.

The rule: tab or shift+tab pressed in a text field (the user is filling in a form) arms the guard. While it
is armed, a printable key other than space that reaches a widget that is not a text field (the tab bar, a
table, a switch, a button) is swallowed: it neither starts, pauses or stops a run, nor switches tabs or
opens a dialog. A note says so once. Any deliberate key disarms it: escape, enter, an arrow, a page key, a
function key, a ctrl+ key; so does a mouse click, or another screen (a dialog) coming up. Tab, shift+tab,
backspace and delete keep it armed (still moving through the form, or fixing what was typed); space passes
(it toggles a switch, opens a choice list) but keeps it armed.

In words for the user: after tabbing out of a text field, press esc (or an arrow key) before a
single-letter shortcut. `esc` in a field leaves it for the tab bar with the shortcuts working at once.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Switch, Tabs

KINDS: tuple[tuple[type[Widget], str], ...] = (
    (Tabs, "the tab bar"),
    (Switch, "a switch"),
    (Button, "a button"),
    (DataTable, "a table"),
    (ScrollableContainer, "a scrolling pane"),
)
"""Focusable widgets that take no text, in words for the note."""
KEEPS_ARMED = frozenset({"tab", "shift+tab", "backspace", "delete", "space"})
"""Keys that neither disarm the guard nor are swallowed."""


def is_text_field(widget: Widget | None) -> bool:
    """True for widgets that take typed text."""
    from textual.widgets import TextArea  # imported at the first key, not before the first frame

    return isinstance(widget, Input | TextArea)


def describe_focus(widget: Widget | None) -> str:
    """Where the focus is, in words for the note."""
    from textual.widgets import Select

    if widget is None:
        return "no control"
    if isinstance(widget, Select) or isinstance(widget.parent, Select):
        return "a choice list"
    for kind, words in KINDS:
        if isinstance(widget, kind):
            return words
    return "a control that takes no text"


class TypingGuard:
    """Decides, key by key, whether a key is text typed past a text field (see the module's rule)."""

    def __init__(self, notify: Callable[[str], None]) -> None:
        """notify: shows the note once each time the guard swallows keys."""
        self.notify = notify
        self.armed_on: Screen | None = None
        """The screen whose text field was left with tab (None: not armed)."""
        self.noticed = False
        """The note was shown since the guard was armed."""
        self.swallowed = 0
        """Keys swallowed since the app started (what tests read)."""

    @property
    def armed(self) -> bool:
        """True while printable keys on a widget that is not a text field are swallowed."""
        return self.armed_on is not None

    def disarm(self) -> None:
        """A deliberate action (a click, a navigation key): the shortcuts work again."""
        self.armed_on = None
        self.noticed = False

    def swallows(self, event: events.Key, screen: Screen) -> bool:
        """Look at a key before it is handled; True when it must do nothing at all."""
        focused = screen.focused
        if self.armed_on is not None and self.armed_on is not screen:
            self.disarm()  # a dialog came up, or one closed
        if is_text_field(focused):
            if event.key in ("tab", "shift+tab"):
                self.armed_on = screen
            elif not event.is_printable and event.key not in KEEPS_ARMED:
                self.disarm()
            return False
        if not self.armed:
            return False
        if event.key in KEEPS_ARMED:
            return False
        if not event.is_printable:
            self.disarm()
            return False
        self.swallowed += 1
        if not self.noticed:
            self.noticed = True
            self.notify(
                f"Typing went past the text field: the focus is on {describe_focus(focused)}, so those keys "
                "did nothing. esc (or an arrow key, or a click) brings the single-key shortcuts back."
            )
        return True
