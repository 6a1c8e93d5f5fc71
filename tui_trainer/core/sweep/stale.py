"""Trials left "running" by a worker that died (SIGKILL, a lost machine) become failed: on this host when the
worker's process is gone, anywhere when its heartbeat is older than STALE_S. (Optuna's own heartbeat serves only
database storages; this one serves the journal file as well.)"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_trainer.core.sweep.trial import HEARTBEAT_S

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

STALE_S = 6 * HEARTBEAT_S
"""A running trial whose heartbeat is older than this is failed (its worker is gone)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(trial: FrozenTrial, now: float, host: str | None = None) -> bool:
    """True for a running trial whose worker is gone: its process on this host has ended, or its heartbeat (or,
    before its first, its start) is older than STALE_S."""
    worker = trial.user_attrs.get("worker")
    host = host or socket.gethostname()
    if isinstance(worker, dict) and worker.get("host") == host and isinstance(worker.get("pid"), int):
        if worker["pid"] != os.getpid() and not _alive(worker["pid"]):
            return True
    beat = trial.user_attrs.get("heartbeat")
    if not isinstance(beat, (int, float)):
        beat = trial.datetime_start.timestamp() if trial.datetime_start else now
    return now - float(beat) > STALE_S


def fail_stale(study: optuna.Study, clock: Callable[[], float] = time.time) -> list[int]:
    """Fail every stale running trial of the study; returns their numbers."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    failed = []
    now = clock()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if not is_stale(trial, now):
            continue
        try:
            study._storage.set_trial_user_attr(trial._trial_id, "reason", "its worker died (killed or lost)")
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except (UpdateFinishedTrialError, RuntimeError):
            continue  # it ended meanwhile
        failed.append(trial.number)
    return failed
