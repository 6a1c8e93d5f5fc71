"""The top line: the app's name, then the latest message in words, so a message never covers what it explains."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.errors import MarkupError
from rich.text import Text
from textual.notifications import Notification
from textual.widgets import Static

APP_NAME = "tui-trainer"
LOG_SIZE = 200
"""How many messages the log keeps (the palette's "Messages" lists them)."""


@dataclass(frozen=True)
class LoggedMessage:
    """One message as the log keeps it."""

    at: datetime
    """When it was raised (local time)."""
    severity: str
    """information, warning or error."""
    title: str
    """What it is about ("Training", "Model", ...); may be empty."""
    text: str
    """The message as plain text."""


def logged(notification: Notification) -> LoggedMessage:
    """A notification as the log keeps it."""
    return LoggedMessage(
        at=datetime.now(), severity=notification.severity, title=notification.title, text=plain_text(notification)
    )


def plain_text(notification: Notification) -> str:
    """A notification's message as plain text (its markup, if it has any, resolved)."""
    if notification.markup:
        try:
            return Text.from_markup(notification.message).plain
        except MarkupError:  # a message that is not markup after all: shown as written
            pass
    return notification.message


class MessageBar(Static):
    """The app's name, and while a message is fresh, that message (coloured by severity) after it.

    It sits above the tab bar and pushes the content down when a long message wraps, instead of a toast
    lying over the content (a toast at 80x24 hid the confusion matrix or the field it was about)."""

    DEFAULT_CSS = """
    MessageBar {
        dock: top;
        width: 1fr;
        height: auto;
        max-height: 3;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    MessageBar.-idle {
        content-align: center top;
        text-style: bold;
    }
    MessageBar.-warning {
        background: $warning 35%;
    }
    MessageBar.-error {
        background: $error 45%;
    }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(APP_NAME, id=id, classes="-idle", markup=False)
        self.showing: Notification | None = None
        """The notification on the line now (None: only the app's name)."""

    def show_latest(self, notifications: list[Notification]) -> None:
        """Show the newest of the live notifications, or the app's name when none is left."""
        latest = notifications[-1] if notifications else None
        if latest is self.showing:
            return
        self.showing = latest
        self.set_class(latest is None, "-idle")
        self.set_class(latest is not None and latest.severity == "warning", "-warning")
        self.set_class(latest is not None and latest.severity == "error", "-error")
        if latest is None:
            self.update(APP_NAME)
            return
        line = Text(APP_NAME, style="bold")
        line.append("  ")
        if latest.title:
            line.append(f"{latest.title}: ", style="bold")
        line.append(plain_text(latest))
        self.update(line)
