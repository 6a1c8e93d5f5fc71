"""Starting the app from the command line: `tui-trainer [app]` and `tui-trainer watch RUN_DIR`."""

from __future__ import annotations

from pathlib import Path

from tui_trainer.core.runs import DEFAULT_ROOT


class LaunchError(ValueError):
    """Bad input for starting the app; the CLI prints it as one `error:` line."""


def open_app(
    dataset: str | None = None,
    preset: str | None = None,
    runs_dir: str | None = DEFAULT_ROOT,
    train_in: str | None = None,
) -> int:
    """Run the app in this terminal with a dataset and preset chosen; returns the exit status.

    train_in: "process" (a warm child process trains) or "thread" (a thread of this process);
    None: the platform's default (process on POSIX systems)."""
    from tui_trainer.core.datasets import DatasetError, dataset_info
    from tui_trainer.core.trainer_process import DEFAULT_TRAIN_IN, TrainerProcess, TrainerProcessError

    if dataset:
        try:
            dataset_info(dataset)
        except DatasetError as exc:
            raise LaunchError(str(exc)) from None
    train_in = train_in or DEFAULT_TRAIN_IN
    process = None
    if train_in == "process":
        # First of all: the child imports torch on another core while this process imports Textual.
        process = TrainerProcess()
        try:
            process.start()
        except TrainerProcessError:
            pass  # the app tries again, and says why it trains in a thread instead
    from tui_trainer.core.presets import PresetError
    from tui_trainer.ui.app import TrainerApp

    try:
        app = TrainerApp(
            dataset=dataset, preset=preset, runs_dir=runs_dir, train_in=train_in, trainer_process=process, tune_gc=True
        )
    except PresetError as exc:
        if process is not None:
            process.close()
        raise LaunchError(str(exc)) from None
    app.run()
    return app.return_code or 0


def watch_run(run_dir: str | Path) -> int:
    """Run the app on the Train tab following run_dir (written by another process) until it ends."""
    from tui_trainer.core.runs import load_run
    from tui_trainer.ui.app import TrainerApp

    path = Path(run_dir)
    if not path.is_dir():
        raise LaunchError(f"{path} is not a run directory (see `tui-trainer runs`)")
    record = load_run(path)
    if record.experiment is None:
        raise LaunchError(record.problem or f"{path} holds no readable experiment.toml")
    app = TrainerApp(experiment=record.experiment, runs_dir=str(path.parent), watch=path, tune_gc=True)
    app.run()
    return app.return_code or 0
