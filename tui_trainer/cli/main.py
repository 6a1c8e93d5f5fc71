"""main: parse the command line, run one command, turn bad input into one `error:` line and exit status 2."""

from __future__ import annotations

import sys
from importlib import import_module

from tui_trainer.cli.parser import UsageError, parse_command_line

COMMANDS = {
    "train": "train:cmd_train",
    "summary": "model:cmd_summary",
    "export": "model:cmd_export",
    "lr-find": "lr_find:cmd_lr_find",
    "boundary": "boundary:cmd_boundary",
    "runs": "runs:cmd_runs",
    "robustness": "robustness:cmd_robustness",
    "inspect": "inspect:cmd_inspect",
    "datasets": "lists:cmd_datasets",
    "presets": "lists:cmd_presets",
    "app": "app:cmd_app",
    "watch": "app:cmd_watch",
    "export-tensorboard": "tensorboard:cmd_export_tensorboard",
    "serve": "serve:cmd_serve",
    "sweep": "sweep:cmd_sweep",
    "sweep-worker": "sweep:cmd_sweep_worker",
    "review": "review:cmd_review",
}
"""Each command's function as "module:name" in tui_trainer.cli, imported when the command runs: the app's first
frame waits for no other command's imports."""


def command(name: str):  # noqa: ANN201
    """The function that runs the command `name` (its module imported now)."""
    module, function = COMMANDS[name].split(":")
    return getattr(import_module(f"tui_trainer.cli.{module}"), function)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the tui-trainer command; returns the exit status."""
    try:
        args = parse_command_line(argv)
        args.argv = list(argv) if argv is not None else sys.argv[1:]
        return command(args.command)(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
