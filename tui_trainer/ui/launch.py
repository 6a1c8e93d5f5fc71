"""Starting the app from the command line: `tui-trainer [app]` and `tui-trainer watch RUN_DIR`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.runs import DEFAULT_ROOT

if TYPE_CHECKING:
    from tui_trainer.core.spec.experiment import Experiment
    from tui_trainer.ui.app import TrainerApp


class LaunchError(ValueError):
    """Bad input for starting the app; the CLI prints it as one `error:` line."""


def open_app(
    dataset: str | None = None,
    preset: str | None = None,
    runs_dir: str | None = DEFAULT_ROOT,
    train_in: str | None = None,
    config: str | None = None,
    settings: Sequence[str] = (),
) -> int:
    """Run the app in this terminal with a dataset and preset chosen; returns the exit status.

    config, settings: an experiment TOML and KEY=VALUE settings applied at start, in the order `train` applies
    them (preset, config, dataset, each setting); train_in: "process" (a warm child process trains) or "thread"
    (a thread of this process); None: the platform's default (see core.backend.choose)."""
    from tui_trainer.ui.gc_tuning import held_collections

    with held_collections():  # until the app's first settle: start-up makes objects that all live on
        return _open(dataset, preset, runs_dir, train_in, config, settings)


def _open(
    dataset: str | None,
    preset: str | None,
    runs_dir: str | None,
    train_in: str | None,
    config: str | None,
    settings: Sequence[str],
) -> int:
    from tui_trainer.core.data import DatasetError, dataset_info

    if dataset:
        try:
            dataset_info(dataset)
        except DatasetError as exc:
            raise LaunchError(str(exc)) from None
    experiment = _edited_experiment(dataset, preset, config, settings) if config or settings else None
    backend = _backend(train_in)
    from tui_trainer.core.spec.presets import PresetError
    from tui_trainer.ui.app import TrainerApp

    try:
        app = TrainerApp(
            backend=backend,
            dataset=dataset,
            preset=preset,
            experiment=experiment,
            runs_dir=runs_dir,
            tune_gc=True,
            signals=True,
        )
    except PresetError as exc:
        backend.close()
        raise LaunchError(str(exc)) from None
    return _run(app)


def _edited_experiment(
    dataset: str | None, preset: str | None, config: str | None, settings: Sequence[str]
) -> Experiment:
    """The experiment the app starts on when --config or --set is given (torch- and Textual-free)."""
    from tui_trainer.core.pipeline.checks import default_preset
    from tui_trainer.core.spec.experiment import ConfigError, with_config_file, with_data_and_settings
    from tui_trainer.core.spec.presets import load_preset

    try:
        experiment = load_preset(preset or default_preset(dataset))
        if config:
            experiment = with_config_file(experiment, config)
        return with_data_and_settings(experiment, {"name": dataset} if dataset else {}, settings)
    except (ConfigError, TypeError) as exc:
        raise LaunchError(str(exc)) from None


def watch_run(run_dir: str | Path, train_in: str | None = None) -> int:
    """Run the app on the Train tab following run_dir (written by another process) until it ends."""
    from tui_trainer.core.runs import load_run

    path = Path(run_dir)
    if not path.is_dir():
        raise LaunchError(f"{path} is not a run directory (see `tui-trainer runs`)")
    record = load_run(path)
    if record.experiment is None:
        raise LaunchError(record.problem or f"{path} holds no readable experiment.toml")
    backend = _backend(train_in)
    from tui_trainer.ui.app import TrainerApp

    app = TrainerApp(
        backend=backend, experiment=record.experiment, runs_dir=str(path.parent), watch=path, tune_gc=True, signals=True
    )
    return _run(app)


def _run(app: TrainerApp) -> int:
    """Run the app until it exits; after SIGHUP or SIGTERM say on stderr what became of the run."""
    app.run()
    note = exit_note(app)
    if note:
        try:
            print(note, file=sys.stderr, flush=True)
        except OSError:  # the terminal hung up: nobody reads it
            pass
    return app.return_code or 0


def exit_note(app: TrainerApp) -> str:
    """One line on what a signal did to the app and its run ("" when no signal ended it)."""
    if app.exit_signal is None:
        return ""
    if app.detached_pid is not None:
        return (
            f"tui-trainer: the terminal hung up; the run goes on headless in process {app.detached_pid} "
            "(`tui-trainer runs` lists it, `tui-trainer watch RUN_DIR` follows it)"
        )
    ended = f"tui-trainer: ended by {app.exit_signal.name}"
    if app.stopped_at_exit:
        return f"{ended}; the run was stopped and can be resumed (Runs tab, or `tui-trainer train --resume RUN_DIR`)"
    return ended


def _backend(train_in: str | None):
    """First of all: the training process starts importing torch on another core while Textual is imported."""
    from tui_trainer.core.backend import open_backend

    return open_backend(train_in)
