"""A sweep worker: trials one after another from the shared study until the global budget is used up, failing
trials whose worker died on the way. The budget is a set of tickets (waiting trials made with the study, topped up
when a resume raises it); a worker runs a trial only once it alone has set a ticket running, an atomic step in
every Optuna storage, so workers starting together on several machines never run more trials than the budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_trainer.core.sweep.folder import SweepFolder
from tui_trainer.core.sweep.stale import fail_stale
from tui_trainer.core.sweep.study import load_study, quiet_optuna, storage_for
from tui_trainer.core.sweep.trial import TrialFailed, objective

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage

    from tui_trainer.core.spec.events import TrainingEvent


def used(study: optuna.Study) -> int:
    """Trials that count against the budget: every trial but a waiting one (running, complete, pruned, failed)."""
    from optuna.trial import TrialState

    return sum(t.state != TrialState.WAITING for t in study.get_trials(deepcopy=False))


def claim(study: optuna.Study) -> optuna.Trial | None:
    """The next trial of the budget: a waiting trial this worker alone has set running (the storage refuses a
    second worker the same one), or None when every ticket is taken."""
    import optuna
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    for frozen in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        try:
            if not study._storage.set_trial_state_values(frozen._trial_id, state=TrialState.RUNNING):
                continue  # another worker took it first
        except UpdateFinishedTrialError:
            continue
        return optuna.Trial(study, frozen._trial_id)
    return None


def run_claimed(study: optuna.Study, trial: optuna.Trial, train: Callable[[optuna.Trial], float]) -> None:
    """Train a claimed trial and tell the study how it ended: complete, pruned, or failed (TrialFailed); any other
    exception fails the trial and goes on up."""
    import optuna
    from optuna.trial import TrialState

    try:
        value = train(trial)
    except optuna.TrialPruned:
        study.tell(trial, state=TrialState.PRUNED)
    except TrialFailed:
        study.tell(trial, state=TrialState.FAIL)
    except BaseException:
        study.tell(trial, state=TrialState.FAIL)
        raise
    else:
        study.tell(trial, value)


def work(
    folder: SweepFolder,
    *,
    storage: BaseStorage | None = None,
    threads: int = 0,
    device: str | None = None,
    seed: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_event: Callable[[TrainingEvent], None] | None = None,
    max_trials: int | None = None,
    on_trial: Callable[[optuna.trial.FrozenTrial], None] | None = None,
) -> int:
    """Run trials of the folder's sweep until its budget is used (or should_stop); returns how many this worker
    ran. storage: the study's (default: the sweep's own); threads/device: this worker's share of the machine;
    max_trials: at most this many here (tests); on_trial: called with each trial this worker finished."""
    quiet_optuna()
    spec = folder.spec
    study = load_study(spec, storage or storage_for(spec, folder.path), seed=seed)

    def train(trial: optuna.Trial) -> float:
        return objective(
            trial,
            spec,
            folder.trial_runs,
            threads=threads,
            device=device,
            should_stop=should_stop,
            on_event=on_event,
        )

    done = 0
    while not should_stop() and (max_trials is None or done < max_trials):
        fail_stale(study)
        trial = claim(study)  # None once every ticket is taken: the budget is used
        if trial is None:
            break
        run_claimed(study, trial, train)
        done += 1
        if on_trial is not None:
            on_trial(study._storage.get_trial(trial._trial_id))
    return done
