"""What both sides of the training process share: its errors, limits and the default thread count."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

SUPPORTED = os.name == "posix"
"""Whether a training process can start here: it needs POSIX pipes (pass_fds); elsewhere apps train in a thread."""
DEFAULT_TRAIN_IN = "process" if SUPPORTED else "thread"
"""Where the app trains unless told otherwise: its training process, or a thread where none can start."""
POLL_S = 0.05
"""How often the parent's thread looks at the stop and pause flags while it waits for events."""

RunFunction = Callable[..., Any]
"""train_and_save's signature: (experiment, *, on_event, should_stop, runs_dir, resume) -> RunEnded.
Must be picklable (a module-level function or an object of a module-level class)."""


class TrainerProcessError(RuntimeError):
    """The child process could not start, import torch, or answer."""


class TrainerProcessBusy(RuntimeError):
    """The child is training a run: call() does not wait for it (the caller works in-process instead)."""


def auto_threads() -> int:
    """Torch threads for a run with threads = 0 beside a UI: all cores but the one the UI keeps."""
    return max(1, (os.cpu_count() or 2) - 1)
