"""Messages that carry core training events from the worker thread to the UI."""

from __future__ import annotations

from textual.message import Message

from tui_trainer.core.spec.events import BatchEnd, TrainingEvent


class TrainingEventMessage(Message):
    """One core event posted by the training thread (plain values only)."""

    def __init__(self, event: TrainingEvent, run_id: int, *, replaceable: bool = True) -> None:
        super().__init__()
        self.event = event
        self.run_id = run_id
        """Which run sent it: events of a superseded run are ignored."""
        self.replaceable = replaceable
        """False for a replayed event (a followed run's log read at attach): a point of the curve, never
        stale progress, so a newer batch message does not replace it."""

    def can_replace(self, message: Message) -> bool:
        """A newer batch progress update replaces an unprocessed older one of the same run (live ones only)."""
        return (
            self.replaceable
            and isinstance(self.event, BatchEnd)
            and isinstance(message, TrainingEventMessage)
            and message.replaceable
            and isinstance(message.event, BatchEnd)
            and message.run_id == self.run_id
        )


class TrainingThreadDone(Message):
    """The training thread of a run has returned: a new run may start."""

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id


class DevicesFound(Message):
    """The backend is ready and these devices can train."""

    def __init__(self, devices: tuple[str, ...], notice: str = "") -> None:
        super().__init__()
        self.devices = devices
        self.notice = notice
        """Why training happens otherwise than asked (the backend's notice), or ""."""
