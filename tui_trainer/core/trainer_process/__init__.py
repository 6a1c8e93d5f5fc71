"""A warm child process that trains: torch lives there, events come back over a pipe.

Why a process and not only a thread: on 2 CPU cores a training thread beside the live dashboard
kept 0.63-0.89 of the same engine's speed headless (the UI thread and the training thread share one
GIL, and a torch op on any other thread of the process starts a second OpenMP team that halves
multi-threaded loops); the same engine in this child process kept 0.94-1.01 (benchmarks/README.md).
The child is a fresh interpreter (never a fork: torch and threads do not survive one), started
before the app imports Textual, so it has imported torch by the time the user can press a key.

Protocol, two pipes, pickled tuples. Parent -> child: ("init", threads, pickled run function) once,
then ("run", experiment, runs_dir, resume), ("stop",), ("pause",), ("resume",), ("call", function,
args), ("quit",). Child -> parent: ("ready", devices) once torch is imported, or ("broken", message);
("event", TrainingEvent) while a run trains; ("done", RunEnded | None) when it returned;
("result", (ok, value or exception)) for a call; ("unreadable", message) for a request it could not
unpickle.
"""

from __future__ import annotations

from tui_trainer.core.trainer_process.errors import (
    DEFAULT_TRAIN_IN,
    POLL_S,
    SUPPORTED,
    RunFunction,
    TrainerProcessBusy,
    TrainerProcessError,
    auto_threads,
)
from tui_trainer.core.trainer_process.parent import TrainerProcess

__all__ = [
    "DEFAULT_TRAIN_IN",
    "POLL_S",
    "SUPPORTED",
    "RunFunction",
    "TrainerProcess",
    "TrainerProcessBusy",
    "TrainerProcessError",
    "auto_threads",
]
