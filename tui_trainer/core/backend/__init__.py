"""The one interface between the UI and training: a warm child process, a thread, or a followed run directory.

`open_backend` decides where the app trains; every backend gives devices, previews and runs
(`start(request)` -> a RunHandle with events, stop, pause, resume) and closes. The UI imports this
package without importing torch.
"""

from __future__ import annotations

from tui_trainer.core.backend.base import BackendError, RunHandle, TrainingBackend
from tui_trainer.core.backend.choose import DEFAULT_TRAIN_IN, TRAIN_IN, open_backend

__all__ = [
    "DEFAULT_TRAIN_IN",
    "TRAIN_IN",
    "BackendError",
    "RunHandle",
    "TrainingBackend",
    "open_backend",
]
