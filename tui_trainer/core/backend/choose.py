"""Where the app trains: the one place that decides between the training process and a thread."""

from __future__ import annotations

from tui_trainer.core.backend.base import BackendError, TrainingBackend
from tui_trainer.core.backend.process.pipes import SUPPORTED

TRAIN_IN = ("process", "thread")
"""The choices of `tui-trainer app --train-in`."""
DEFAULT_TRAIN_IN = "process" if SUPPORTED else "thread"
"""A warm child process where one can start (POSIX), else a thread of the app."""


def open_backend(train_in: str | None = None) -> TrainingBackend:
    """The backend for --train-in (None: the platform's default), its training process already starting.

    Call it before importing Textual: the child imports torch on another core meanwhile. A child that
    cannot even be spawned gives a thread backend whose notice says why; one that cannot import torch is
    found out by devices(), which then falls back the same way.
    """
    mode = train_in or DEFAULT_TRAIN_IN
    if mode not in TRAIN_IN:
        raise ValueError(f"train_in must be one of {', '.join(TRAIN_IN)}, not {mode!r}")
    if mode == "thread":
        from tui_trainer.core.backend.thread import ThreadBackend

        return ThreadBackend()
    from tui_trainer.core.backend.process.parent import ProcessBackend

    backend = ProcessBackend()
    try:
        backend.warm_up()
    except BackendError as exc:
        from tui_trainer.core.backend.thread import ThreadBackend

        return ThreadBackend(notice=f"{exc}; training in the app's own process instead")
    return backend
