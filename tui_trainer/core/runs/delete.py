"""Deleting a run directory, carefully: only a real folder that holds run files and nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

from tui_trainer.core.runs.files import RUN_FILES, TEMP_PREFIX, TENSORBOARD_PREFIX, RunError
from tui_trainer.core.runs.lock import holder, is_locked


def delete_run(run_dir: str | Path) -> None:
    """Remove a run directory; RunError (nothing deleted) when it does not look like one.

    Refused: a symbolic link, a path that is not a folder, a folder without experiment.toml or
    summary.json, and a folder holding sub-folders or files a run never writes (a run directory
    chosen by mistake must not take anything else with it).
    """
    path = Path(run_dir)
    if path.is_symlink() or not path.is_dir():
        raise RunError(f"{path} is not a run directory: nothing deleted")
    if is_locked(path):
        raise RunError(f"{path} is being trained by {holder(path)}: stop it first, nothing deleted")
    names = {child.name for child in path.iterdir()}
    if not names & {"experiment.toml", "summary.json"}:
        raise RunError(f"{path} has no experiment.toml or summary.json: not a run directory, nothing deleted")
    foreign = sorted(n for n in names if n not in RUN_FILES and not n.startswith((TEMP_PREFIX, TENSORBOARD_PREFIX)))
    if foreign or any(child.is_dir() for child in path.iterdir()):
        what = ", ".join(foreign) or "a sub-folder"
        raise RunError(f"{path} holds files a run does not write ({what}): nothing deleted")
    try:
        shutil.rmtree(path)
    except OSError as exc:
        raise RunError(f"cannot delete {path}: {exc.strerror or exc}") from None
