"""`tui-trainer [app]` opens the app; `tui-trainer watch RUN_DIR` follows a run on its dashboard."""

from __future__ import annotations

import argparse
import os

from tui_trainer.cli.parser import UsageError


def enable_tensorboard() -> None:
    """Every run of this process and its training process writes TensorBoard event files (the environment
    variable the run writer reads); UsageError when tensorboard is not installed."""
    from tui_trainer.core.runs.tensorboard import ENV, tensorboard_available

    if not tensorboard_available():
        raise UsageError("--tensorboard needs tensorboard: pip install 'tui-trainer[tensorboard]'")
    os.environ[ENV] = "1"


def cmd_app(args: argparse.Namespace) -> int:
    """Open the Textual app (`tui-trainer` alone does the same)."""
    from tui_trainer.ui.launch import LaunchError, open_app

    if getattr(args, "tensorboard", None):
        enable_tensorboard()
    try:
        return open_app(
            dataset=getattr(args, "dataset", None),
            preset=getattr(args, "preset", None),
            config=getattr(args, "config", None),
            settings=getattr(args, "set", None) or [],
            runs_dir=getattr(args, "runs_dir", "runs"),
            train_in=getattr(args, "train_in", None),
        )
    except LaunchError as exc:
        raise UsageError(str(exc)) from None


def cmd_watch(args: argparse.Namespace) -> int:
    """Open the Train dashboard on a run directory that another process writes, following it live."""
    from tui_trainer.ui.launch import LaunchError, watch_run

    try:
        return watch_run(args.run_dir)
    except LaunchError as exc:
        raise UsageError(str(exc)) from None
