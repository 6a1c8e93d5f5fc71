"""A whole sweep started from the app: `tui-trainer sweep --config FILE --sweep-dir DIR` as a process in a session
of its own (an SSH drop or the app quitting does not end it), stopped as Ctrl-C stops it (its workers end their
trials and it writes its summary). Torch-free: the app's process only starts and signals it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tui_trainer.core.sweep.folder import problem_with_folder
from tui_trainer.core.sweep.spec import SweepSpec, save
from tui_trainer.core.sweep.study import SweepError

LAUNCH = ".launch"
"""The folder beside the sweeps (under sweeps/) holding each started sweep's config and its command's output."""


@dataclass
class BackgroundSweep:
    """A sweep process this app started."""

    process: subprocess.Popen
    folder: Path
    log: Path
    """The sweep command's own output (a line per trial, the summary, an error line)."""

    @property
    def pid(self) -> int:
        """The sweep command's process id."""
        return self.process.pid

    def running(self) -> bool:
        """True while the sweep command has not ended."""
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM: the sweep stops its workers (each ends its trial) and writes its summary."""
        if self.running():
            try:
                self.process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    def last_line(self) -> str:
        """The last line the sweep command wrote (its error when it refused to start)."""
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""


def sweep_command(config: Path, folder: Path, workers: int) -> list[str]:
    """The command line that runs the sweep (this interpreter, this package)."""
    return [
        sys.executable,
        "-m",
        "tui_trainer",
        "sweep",
        "--config",
        str(config),
        "--sweep-dir",
        str(folder),
        "--workers",
        str(workers),
    ]


def start_sweep(spec: SweepSpec, folder: Path, workers: int = 1) -> BackgroundSweep:
    """Write the sweep's config beside the sweeps and start the sweep command on it in a session of its own;
    SweepError when the folder is taken or the disk refuses."""
    if problem := problem_with_folder(folder):
        raise SweepError(problem)
    launch = folder.parent / LAUNCH
    config, log = launch / f"{folder.name}.toml", launch / f"{folder.name}.log"
    try:
        launch.mkdir(parents=True, exist_ok=True)
        save(spec, config)
        with open(log, "wb") as out:
            process = subprocess.Popen(
                sweep_command(config, folder, workers),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(os.environ),
                start_new_session=True,
            )
    except OSError as exc:
        raise SweepError(f"cannot start the sweep in {folder}: {exc.strerror or exc}") from None
    return BackgroundSweep(process, folder, log)


def stop_pids(pids: list[int]) -> int:
    """SIGTERM to each worker process (a sweep another shell started): each ends its trial; how many were signalled."""
    done = 0
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
            done += 1
        except (ProcessLookupError, PermissionError):
            pass
    return done
