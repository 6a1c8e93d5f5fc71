"""Workers that start at the same instant and claim the budget's tickets as fast as they can (a trial told at
once): what the budget tests race on a journal file and on a PostgreSQL server."""

from __future__ import annotations

import threading
from collections.abc import Callable

import optuna
from optuna.storages import BaseStorage

from tui_trainer.core.sweep.worker import claim


def race_claims(open_storage: Callable[[], BaseStorage], study_name: str, workers: int) -> list[list[int]]:
    """Each worker (a thread with its own storage connection, as a process would have) claims and completes
    trials until none is left; returns the trial numbers each one ran."""
    start = threading.Barrier(workers)
    ran: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            study = optuna.load_study(study_name=study_name, storage=open_storage())
            start.wait(timeout=120)
            while (trial := claim(study)) is not None:
                trial.suggest_float("lr", 0.01, 0.1)
                study.tell(trial, 0.5)
                ran[i].append(trial.number)
        except BaseException as exc:  # the test re-raises it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    if errors:
        raise errors[0]
    assert not any(t.is_alive() for t in threads), "a worker did not finish"
    return ran
