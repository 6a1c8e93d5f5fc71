"""`tui-trainer export-tensorboard RUN_DIR...`: TensorBoard event files for runs saved without them."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui_trainer.cli.parser import UsageError


def cmd_export_tensorboard(args: argparse.Namespace) -> int:
    """Write each run directory's TensorBoard event file from its events.jsonl; every directory is checked
    before any is written (a bad one: one `error:` line, exit 2, nothing written)."""
    from tui_trainer.core.runs.files import EXPERIMENT, SUMMARY, RunError
    from tui_trainer.core.runs.lock import holder, is_locked
    from tui_trainer.core.runs.tensorboard import export_run, tensorboard_available

    if not tensorboard_available():
        raise UsageError("tensorboard is not installed: pip install 'tui-trainer[tensorboard]'")
    paths = [Path(p) for p in args.run_dirs]
    for path in paths:
        if not (path / EXPERIMENT).is_file() or not (path / SUMMARY).is_file():
            raise UsageError(f"{path} is not a run directory (no experiment.toml or summary.json)")
        if is_locked(path):
            raise UsageError(f"{path} is being trained by {holder(path)}: it writes its own TensorBoard events")
    for path in paths:
        try:
            export_run(path)
        except RunError as exc:
            raise UsageError(str(exc)) from None
        print(f"wrote {path}: tensorboard --logdir {path}")
    return 0
