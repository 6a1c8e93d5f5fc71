"""Run-directory file basics: atomic writes, readable unique names, the runs root check, versions."""

from __future__ import annotations

import errno
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

FORMAT_VERSION = 1
"""Version of the run-directory layout; a run with a larger one was written by a newer tui-trainer."""
DEFAULT_ROOT = "runs"

EXPERIMENT = "experiment.toml"
METRICS = "metrics.csv"
EVENTS = "events.jsonl"
SUMMARY = "summary.json"
LAST = "last.pt"
BEST = "best.pt"
LOCK = "train.lock"
"""Held (flock) by the process that trains the run: runs/lock.py."""
LABEL_NOISE = "label_noise.json"
"""The training samples label noise flipped: positions in the training split, true and given labels."""
BACKDOOR = "backdoor.json"
"""The training images a backdoor stamped and relabelled."""
REVIEW = "review.json"
"""`tui-trainer review`'s findings: out-of-sample confidences and the flagged labels."""
OVERRIDES = "label_overrides.json"
"""The review queue's decisions (relabel, drop), loadable as the data option label_overrides."""
RUN_FILES = (EXPERIMENT, SUMMARY, METRICS, EVENTS, LAST, BEST, LOCK, LABEL_NOISE, BACKDOOR, REVIEW, OVERRIDES)
TENSORBOARD_PREFIX = "events.out.tfevents."
"""TensorBoard's event files (runs/tensorboard.py) start with this; a run directory may hold several."""
TEMP_PREFIX = ".tmp-"
"""Temporary files (before their atomic rename) start with this; listings ignore them."""


DISK_FULL_ERRNOS = frozenset(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None)
"""The errors of a write that found no space: the disk is full, or the user's quota is used up."""


class RunError(Exception):
    """A run directory or checkpoint that cannot be used; the message is for users."""


class DiskFull(RunError):
    """A run file could not be written for lack of space: the run ends "failed" with this message as its reason."""

    def __init__(self, target: Path, hint: str) -> None:
        super().__init__(f"the disk is full: cannot write {target}")
        self.target = target
        self.hint = hint


def is_disk_full(exc: BaseException) -> bool:
    """True for an OSError that says there is no space left (ENOSPC) or no quota left (EDQUOT)."""
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write a file through a temporary file in the same folder, then rename it over `path`.

    A crash or kill at any moment leaves either the old file or the new one, never half of one; a write that
    fails (a full disk) raises and leaves the old file and no temporary one. The file gets
    the permissions the user's umask gives a new file (mkstemp's own are 0600: a shared server's group could not
    read the runs).
    """
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX + path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # closes fd whatever happens next
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back: there is no other portable way)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """atomic_write of UTF-8 text."""
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def json_safe(value: Any) -> Any:
    """A copy JSON can hold strictly: tuples as lists, NaN and infinities as None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def json_line(doc: dict[str, Any]) -> str:
    """One compact JSON line (with the newline)."""
    return json.dumps(json_safe(doc), separators=(",", ":"), allow_nan=False) + "\n"


def _slug(text: str, limit: int = 40) -> str:
    """Letters, digits, '.', '_' and '-' only; csv:/folder: names keep their file's stem."""
    for prefix in ("csv:", "folder:"):
        if text.startswith(prefix):
            text = prefix[:-1] + "-" + (Path(text[len(prefix) :].rstrip("/\\")).stem or "data")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return slug[:limit] or "run"


def run_dir_name(name: str, dataset: str, when: datetime) -> str:
    """A name a person can read: "2026-11-26_12-03-55_lenet5_digits28"."""
    return f"{when:%Y-%m-%d_%H-%M-%S}_{_slug(name)}_{_slug(dataset)}"


def make_run_dir(root: Path, name: str, dataset: str, when: datetime | None = None) -> Path:
    """Create a new, empty run directory under root (adding -2, -3... on a collision) and return it."""
    base = run_dir_name(name, dataset, when or datetime.now())
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = root / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RunError(f"cannot find a free run directory name for {base} in {root}")


def root_problem(root: Path) -> str | None:
    """Why runs cannot be written under root (created if missing), or None when they can."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"the runs folder {root} is a file, not a folder: choose another with --runs-dir"
    except OSError as exc:
        return f"cannot create the runs folder {root}: {exc.strerror or exc} (choose another with --runs-dir, or --no-save)"
    if not root.is_dir():
        return f"the runs folder {root} is not a folder: choose another with --runs-dir"
    try:
        fd, probe = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=root)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write in the runs folder {root}: {exc.strerror or exc} (choose another with --runs-dir, or --no-save)"
    return None


def library_versions() -> dict[str, str]:
    """Versions of tui-trainer, torch and Python (torch only when already imported, else from metadata)."""
    from importlib import metadata

    import tui_trainer

    torch = sys.modules.get("torch")
    try:
        torch_version = torch.__version__ if torch is not None else metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "unknown"
    return {
        "tui-trainer": tui_trainer.__version__,
        "torch": str(torch_version),
        "python": sys.version.split()[0],
    }


def newer_format_problem(what: str, version: Any) -> str | None:
    """A message when `version` is not a format this tui-trainer reads, else None."""
    if isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= FORMAT_VERSION:
        return None
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        return (
            f"{what} was written by a newer tui-trainer (format {version}; this version reads format "
            f"{FORMAT_VERSION}): upgrade tui-trainer to open it"
        )
    return f"{what} has no valid format version ({version!r}): it was not written by tui-trainer, or is damaged"
