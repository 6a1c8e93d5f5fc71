"""main: parse the command line, run one command, turn bad input into one `error:` line and exit status 2."""

from __future__ import annotations

import sys

from tui_trainer.cli.app import cmd_app, cmd_watch
from tui_trainer.cli.boundary import cmd_boundary
from tui_trainer.cli.inspect import cmd_inspect
from tui_trainer.cli.lists import cmd_datasets, cmd_presets
from tui_trainer.cli.lr_find import cmd_lr_find
from tui_trainer.cli.model import cmd_export, cmd_summary
from tui_trainer.cli.parser import UsageError, parse_command_line
from tui_trainer.cli.review import cmd_review
from tui_trainer.cli.robustness import cmd_robustness
from tui_trainer.cli.runs import cmd_runs
from tui_trainer.cli.serve import cmd_serve
from tui_trainer.cli.sweep import cmd_sweep, cmd_sweep_worker
from tui_trainer.cli.tensorboard import cmd_export_tensorboard
from tui_trainer.cli.train import cmd_train

COMMANDS = {
    "train": cmd_train,
    "summary": cmd_summary,
    "export": cmd_export,
    "lr-find": cmd_lr_find,
    "boundary": cmd_boundary,
    "runs": cmd_runs,
    "robustness": cmd_robustness,
    "inspect": cmd_inspect,
    "datasets": cmd_datasets,
    "presets": cmd_presets,
    "app": cmd_app,
    "watch": cmd_watch,
    "export-tensorboard": cmd_export_tensorboard,
    "serve": cmd_serve,
    "sweep": cmd_sweep,
    "sweep-worker": cmd_sweep_worker,
    "review": cmd_review,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the tui-trainer command; returns the exit status."""
    try:
        args = parse_command_line(argv)
        args.argv = list(argv) if argv is not None else sys.argv[1:]
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
