"""LayerHistory: the layer editor's bounded undo / redo of whole layer stacks (plain values, no Textual)."""

from __future__ import annotations

from dataclasses import dataclass

from tui_trainer.core.spec.experiment import LayerSpec

HISTORY_LIMIT = 100
"""Stacks kept for undo (the oldest are forgotten first)."""


@dataclass(frozen=True)
class Snapshot:
    """One state of the stack and where the cursor was (its table row) when it was made."""

    layers: tuple[LayerSpec, ...]
    cursor_row: int
    what: str
    """What made this state, in words ("delete layer 3 (ReLU)"): undo and redo say what they undo."""


class LayerHistory:
    """Every distinct layer stack the editor has seen, oldest first, and the one shown now.

    record() is told of each stack the experiment has (an edit, a reset, a preset or a run's settings
    loaded elsewhere); a stack equal to the current one is not a new state. undo() / redo() move along
    the states without recording. Recording after an undo forgets the undone states (as editors do).
    """

    def __init__(self, layers: tuple[LayerSpec, ...], limit: int = HISTORY_LIMIT) -> None:
        """layers: the stack at the start (it cannot be undone); limit: how many states are kept (>= 2)."""
        self.limit = max(2, limit)
        self.states: list[Snapshot] = [Snapshot(tuple(layers), 0, "the start")]
        self.index = 0
        """The state shown now (states[index])."""

    @property
    def current(self) -> Snapshot:
        """The state shown now."""
        return self.states[self.index]

    @property
    def can_undo(self) -> bool:
        """True when there is an older state to go back to."""
        return self.index > 0

    @property
    def can_redo(self) -> bool:
        """True when an undone state can be brought back."""
        return self.index < len(self.states) - 1

    def record(self, layers: tuple[LayerSpec, ...], cursor_row: int, what: str) -> bool:
        """Note the stack the experiment has now; True when it is a new state (it differs from the current)."""
        layers = tuple(layers)
        if layers == self.current.layers:
            return False
        del self.states[self.index + 1 :]
        self.states.append(Snapshot(layers, cursor_row, what))
        if len(self.states) > self.limit:
            del self.states[: len(self.states) - self.limit]
        self.index = len(self.states) - 1
        return True

    def undo(self) -> tuple[Snapshot, Snapshot] | None:
        """Step back: (the state undone, the state to show), or None when there is nothing to undo."""
        if not self.can_undo:
            return None
        undone = self.current
        self.index -= 1
        return undone, self.current

    def redo(self) -> Snapshot | None:
        """Step forward again: the state to show, or None when nothing was undone."""
        if not self.can_redo:
            return None
        self.index += 1
        return self.current
