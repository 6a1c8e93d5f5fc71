"""`tui-trainer [app]` opens the app; `tui-trainer watch RUN_DIR` follows a run on its dashboard."""

from __future__ import annotations

import argparse

from tui_trainer.cli.parser import UsageError


def cmd_app(args: argparse.Namespace) -> int:
    """Open the Textual app (`tui-trainer` alone does the same)."""
    from tui_trainer.ui.launch import LaunchError, open_app

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
