"""Cheap, torch-free checks that a run's checkpoints and event log are whole, and the repair of a half-written log line."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

PICKLE_ENTRY = "data.pkl"
"""torch.save writes a zip archive ("<name>/data.pkl", "<name>/data/0", ..., "<name>/version"): data.pkl holds the
pickled structure, one entry per tensor holds its bytes, and the central directory at the very end lists them."""
TAIL_CHUNK = 64 * 1024
"""Bytes read at a time from a file's end when looking for its last newline."""
PARSED_LINES = 100
"""The event log's last lines, where a crash or a full disk leaves its damage, are parsed as JSON; the earlier ones
only have to look like one JSON object each (a 2 MB log parsed whole took 0.1 s: listing many runs would crawl)."""


def checkpoint_problem(path: Path) -> str | None:
    """Why the checkpoint at `path` is not a whole torch.save archive, or None when it looks whole (or is missing).

    Reads the zip's central directory (at the end of the file: a truncated file has none) and its small data.pkl
    entry with its checksum; tensor bytes are not read, so a file damaged only inside a tensor passes.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [name for name in archive.namelist() if name.rsplit("/", 1)[-1] == PICKLE_ENTRY]
            if len(pickles) != 1:
                return _damaged(path, "a zip archive, but not one torch.save wrote")
            archive.read(pickles[0])  # checks its CRC
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return f"{path} is a folder, not a checkpoint"
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    except Exception as exc:  # damaged bytes: zipfile raises BadZipFile, EOFError, struct.error, ValueError...
        return _damaged(path, _reason(exc))
    return None


def _damaged(path: Path, why: str) -> str:
    """The message of a damaged checkpoint (the words load_checkpoint uses)."""
    return f"the checkpoint {path} is damaged or truncated and cannot be read ({why})"


def _reason(exc: BaseException) -> str:
    """A short, one-line reason for a checkpoint that does not read as a zip archive."""
    text = " ".join(str(exc).split())
    if isinstance(exc, zipfile.BadZipFile) and text == "File is not a zip file":
        return "not a whole zip archive"
    return text[:120] or type(exc).__name__


def events_problem(path: Path, *, being_written: bool) -> str | None:
    """Why the event log at `path` is damaged (lines that are not events, a half-written last line), or None.

    being_written: a trainer appends to it now, so a last line without its newline is still being written.
    A missing log is no problem (a run that never started has none).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    whole = data.rfind(b"\n") + 1
    lines = data[:whole].splitlines()
    parsed_from = len(lines) - PARSED_LINES
    bad = [
        number
        for number, line in enumerate(lines, start=1)
        if not (_is_event_line(line) if number > parsed_from else _looks_like_an_object(line))
    ]
    if bad:
        if len(bad) == 1:
            return f"{path} is damaged: line {bad[0]} is not an event (replays skip it)"
        return f"{path} is damaged: line {bad[0]} and {len(bad) - 1} more are not events (replays skip them)"
    if whole < len(data) and not being_written:
        return (
            f"{path} ends with a half-written line ({len(data) - whole} bytes, never a whole event): "
            "resuming the run cuts it off"
        )
    return None


def _looks_like_an_object(line: bytes) -> bool:
    """True for a blank line or one that starts and ends like a JSON object (the cheap check of earlier lines)."""
    line = line.strip()
    return not line or (line.startswith(b"{") and line.endswith(b"}"))


def _is_event_line(line: bytes) -> bool:
    """True for a blank line (skipped by readers) or a JSON object with a "type"."""
    if not line.strip():
        return True
    try:
        doc = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False
    return isinstance(doc, dict) and isinstance(doc.get("type"), str)


def cut_partial_line(path: Path) -> int:
    """Cut a last line without its newline off the file at `path` (it was never a whole line); the bytes before
    it stay as they are. Returns how many bytes were cut (0: the file ends with a newline, is empty or missing)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return 0
    try:
        size = os.fstat(fd).st_size
        keep = _end_of_last_line(fd, size)
        if keep < size:
            os.ftruncate(fd, keep)
            os.fsync(fd)
        return size - keep
    finally:
        os.close(fd)


def _end_of_last_line(fd: int, size: int) -> int:
    """The offset just after the file's last newline (0 when it has none), reading backwards from its end."""
    end = size
    while end > 0:
        start = max(0, end - TAIL_CHUNK)
        os.lseek(fd, start, os.SEEK_SET)
        chunk = os.read(fd, end - start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0
