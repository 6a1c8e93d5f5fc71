"""The sweep folder: sweep.toml (the experiment and its [sweep] table), the journal (the default storage), one runs
folder per trial (trials/0003/<run directory>) and the workers' logs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tui_trainer.core.spec.experiment import ConfigError
from tui_trainer.core.sweep.space import SpaceError
from tui_trainer.core.sweep.spec import SweepSpec, load, save
from tui_trainer.core.sweep.study import JOURNAL, SweepError

SPEC_FILE = "sweep.toml"
TRIALS = "trials"
LOGS = "logs"
DEFAULT_ROOT = "sweeps"


def default_folder(spec: SweepSpec, root: str | Path = DEFAULT_ROOT, when: datetime | None = None) -> Path:
    """sweeps/<time>_<experiment>_<dataset>: a new sweep's folder when --sweep-dir is not given."""
    from tui_trainer.core.runs.files import run_dir_name

    return Path(root) / run_dir_name(spec.experiment.name, spec.experiment.data.name, when or datetime.now())


@dataclass(frozen=True)
class SweepFolder:
    """An existing sweep folder and the sweep it holds."""

    path: Path
    spec: SweepSpec

    @property
    def journal(self) -> Path:
        """The journal file (the storage when the sweep names no URL)."""
        return self.path / JOURNAL

    def trial_runs(self, number: int) -> Path:
        """The runs folder of trial `number`: its run directory goes inside."""
        return self.path / TRIALS / f"{number:04d}"

    def log_file(self, worker: int) -> Path:
        """Worker `worker`'s log (Optuna's warnings, a crash's traceback)."""
        return self.path / LOGS / f"worker-{worker}.log"


def problem_with_folder(path: Path) -> str | None:
    """Why a new sweep cannot be written at path (it exists and is not empty, or is a file), or None."""
    if path.is_file():
        return f"{path} is a file, not a folder: choose another --sweep-dir"
    if path.is_dir() and any(path.iterdir()):
        what = "a sweep" if (path / SPEC_FILE).is_file() else "a folder that is not empty"
        return f"{path} is already {what}: --resume continues a sweep, or choose another --sweep-dir"
    return None


def create_folder(path: Path, spec: SweepSpec) -> SweepFolder:
    """Make the folder and write sweep.toml (the caller checked problem_with_folder); SweepError when the disk
    refuses."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / TRIALS).mkdir(exist_ok=True)
        (path / LOGS).mkdir(exist_ok=True)
        save(spec, path / SPEC_FILE)
    except OSError as exc:
        raise SweepError(f"cannot write the sweep folder {path}: {exc.strerror or exc}") from None
    return SweepFolder(path, spec)


def open_folder(path: str | Path) -> SweepFolder:
    """An existing sweep folder; SweepError when it is not one (no sweep.toml, or a bad one)."""
    path = Path(path)
    if not path.is_dir():
        raise SweepError(f"{path} is not a folder (give a sweep folder or a storage URL)")
    if not (path / SPEC_FILE).is_file():
        raise SweepError(f"{path} is not a sweep folder: it has no {SPEC_FILE}")
    try:
        spec = load(path / SPEC_FILE)
    except (ConfigError, SpaceError) as exc:
        raise SweepError(str(exc)) from None
    return SweepFolder(path, spec)


def adopt_folder(path: Path, spec: SweepSpec) -> SweepFolder:
    """The local folder of a worker joining a study by URL: opened when it holds this study, else created."""
    if (path / SPEC_FILE).is_file():
        folder = open_folder(path)
        if folder.spec.study_name != spec.study_name:
            raise SweepError(f"{path} holds the study {folder.spec.study_name!r}, not {spec.study_name!r}")
        return folder
    if problem := problem_with_folder(path):
        raise SweepError(problem)
    return create_folder(path, spec)


def list_folders(root: str | Path = DEFAULT_ROOT) -> list[Path]:
    """The sweep folders under root (those holding sweep.toml), newest first: what the app offers to attach."""
    root = Path(root)
    try:
        found = [p for p in root.iterdir() if p.is_dir() and (p / SPEC_FILE).is_file()]
    except OSError:
        return []

    def modified(path: Path) -> float:
        try:
            return (path / SPEC_FILE).stat().st_mtime
        except OSError:
            return 0.0

    return sorted(found, key=lambda p: (modified(p), p.name), reverse=True)
