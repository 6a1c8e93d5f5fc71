"""Following events.jsonl while another process appends to it: complete lines only, read incrementally."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from tui_trainer.core.runs.files import EVENTS
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, RunStarted, TrainingEvent, event_from_dict


def read_new_lines(path: str | Path, offset: int = 0) -> tuple[list[dict[str, Any]], int, int]:
    """The JSON objects on the complete lines of `path` after byte `offset`.

    Returns (objects, next offset, lines skipped). A last line without its newline is being written:
    it is left for the next call (the offset stops before it). Complete lines that are not a JSON
    object are skipped and counted. A missing file gives ([], offset, 0); a file now shorter than
    `offset` (replaced) is read again from its start.
    """
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            if handle.tell() < offset:
                offset = 0
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset, 0
    end = data.rfind(b"\n") + 1
    objects, skipped = [], 0
    for line in data[:end].splitlines():
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            doc = None
        if isinstance(doc, dict):
            objects.append(doc)
        else:
            skipped += 1
    return objects, offset + end, skipped


class EventFollower:
    """Polls a run directory's events.jsonl (or a .jsonl file) for new events: `follower.poll()` -> events.

    Keeps the byte offset between calls; lines it cannot understand are counted in `skipped`.
    Cheap when nothing is new: call it from a timer.
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        self.path = path if path.suffix == ".jsonl" else path / EVENTS
        self.offset = 0
        self.skipped = 0
        self.ended = False
        """True once a RunEnded was read (a resumed run may append more later)."""

    def poll(self) -> list[TrainingEvent]:
        """The events appended since the last call (plain-value event objects, as the engine emitted)."""
        docs, self.offset, skipped = read_new_lines(self.path, self.offset)
        self.skipped += skipped
        events = []
        for doc in docs:
            try:
                events.append(event_from_dict(doc))
            except ValueError:
                self.skipped += 1
        if events:
            self.ended = isinstance(events[-1], RunEnded)
        return events


def current_events(events: list[TrainingEvent]) -> list[TrainingEvent]:
    """The events of a run as it stands after its resumes, as if it had run in one go (for replaying).

    A RunStarted with start_epoch k continues the run from epoch k: the BatchEnds and EpochEnds of
    epochs >= k written before it (work after the last checkpoint) and the earlier RunEnded are
    dropped, and the first RunStarted takes the new one's values (epochs, device...) but keeps its
    own start_epoch.
    """
    out: list[TrainingEvent] = []
    for event in events:
        first = next((i for i, e in enumerate(out) if isinstance(e, RunStarted)), None)
        if isinstance(event, RunStarted) and first is not None:
            k = event.start_epoch
            out[first] = replace(event, start_epoch=out[first].start_epoch)
            out = [
                e
                for e in out
                if not isinstance(e, RunEnded) and not (isinstance(e, (BatchEnd, EpochEnd)) and e.epoch >= k)
            ]
            continue
        out.append(event)
    return out
