"""A sweep worker: trials one after another from the shared study until the global budget is used up (trials
counted over every worker: running, complete, pruned, failed), failing trials whose worker died on the way."""

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
    """Trials that count against the budget: every trial but a waiting one."""
    from optuna.trial import TrialState

    return sum(t.state != TrialState.WAITING for t in study.get_trials(deepcopy=False))


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
    from optuna.study import MaxTrialsCallback

    quiet_optuna()
    spec = folder.spec
    study = load_study(spec, storage or storage_for(spec, folder.path), seed=seed)
    budget = MaxTrialsCallback(spec.trials, states=None)
    callbacks = [budget] if on_trial is None else [budget, lambda study, frozen: on_trial(frozen)]
    done = 0
    while not should_stop() and (max_trials is None or done < max_trials):
        fail_stale(study)
        if used(study) >= spec.trials:
            break
        study.optimize(
            lambda trial: objective(
                trial,
                spec,
                folder.trial_runs,
                threads=threads,
                device=device,
                should_stop=should_stop,
                on_event=on_event,
            ),
            n_trials=1,
            catch=(TrialFailed,),
            callbacks=callbacks,
            gc_after_trial=False,
            show_progress_bar=False,
        )
        done += 1
    return done
