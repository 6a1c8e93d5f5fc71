"""Signals to the real app, training in a pseudo-terminal: a hang-up leaves the run training headless, SIGTERM stops it.

Each test starts `tui-trainer app` in a pty of its own (its controlling terminal), presses s to train a
long run of the real engine in the training process, then hangs up or terminates. Every wait is for a
condition (a file, a lock, an exit), with generous limits that only guard against a hang.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from tests.helpers import wait_for
from tui_trainer.cli.report import runs_table
from tui_trainer.core.runs import list_runs
from tui_trainer.core.runs.lock import is_locked
from tui_trainer.core.spec.experiment import with_setting
from tui_trainer.core.spec.presets import load_preset, save_user_preset

pytestmark = [pytest.mark.process, pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")]

LEAVE_ALT_SCREEN = b"\x1b[?1049l"
ENTER_ALT_SCREEN = b"\x1b[?1049h"


class PtyApp:
    """`tui-trainer app` on a pseudo-terminal it has as its controlling terminal; its output is drained and kept."""

    def __init__(self, tmp_path: Path, prelude: str = "") -> None:
        """Start the app with a preset "long" (the mlp for 10,000 epochs) saved in $TUI_TRAINER_PRESETS; prelude:
        Python run in the app's process before the command line (`python -c`), to stage what a test needs."""
        save_user_preset(with_setting(load_preset("mlp"), "epochs=10000"), "long")
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TEXTUAL_DRIVER")}
        env.update(TERM="xterm-256color", PYTHONPATH=os.pathsep.join(sys.path))
        self.runs = tmp_path / "runs"
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        arguments = ["app", "--preset", "long", "--runs-dir", str(self.runs)]
        command = [sys.executable, "-m", "tui_trainer", *arguments]
        if prelude:
            main = f"import sys\nfrom tui_trainer.cli import main\nsys.exit(main({arguments!r}))\n"
            command = [sys.executable, "-c", prelude + "\n" + main]
        self.proc = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=tmp_path,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # noqa: PLW1509 - before exec, in the child
        )
        os.close(slave)
        self.output = bytearray()
        self._draining = True
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        """Keep the terminal's output (the app blocks once the pty's buffer is full), until told to stop; never
        blocked in a read, so that closing the master really closes it (a read in flight would hold it open)."""
        while self._draining:
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: every slave end is closed
                return
            if not chunk:
                return
            self.output += chunk

    def press(self, keys: str) -> None:
        """Type keys on the terminal."""
        os.write(self.master, keys.encode())

    def run_dir(self) -> Path | None:
        """The one run directory, once it exists."""
        dirs = [d for d in self.runs.glob("*") if d.is_dir()] if self.runs.is_dir() else []
        return dirs[0] if dirs else None

    def hang_up(self) -> None:
        """What an SSH drop does: the terminal's master side closes (the kernel sends SIGHUP)."""
        self._draining = False
        self._reader.join()
        os.close(self.master)
        self.master = -1

    def close(self) -> None:
        """Make sure nothing outlives the test: the app, its pty, and a training process left headless."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.master >= 0:
            self._draining = False
            self._reader.join()
            os.close(self.master)
        run_dir = self.run_dir()
        if run_dir is not None and is_locked(run_dir):
            os.kill(trainer_pid(run_dir), signal.SIGKILL)


def trainer_pid(run_dir: Path) -> int:
    """The process holding the run's lock."""
    return json.loads((run_dir / "train.lock").read_text())["pid"]


def epochs_logged(run_dir: Path) -> int:
    """Whole epochs in the run's events.jsonl."""
    path = run_dir / "events.jsonl"
    if not path.exists():
        return 0
    return sum('"type":"EpochEnd"' in line for line in path.read_text().splitlines())


def summary_status(run_dir: Path) -> str:
    return json.loads((run_dir / "summary.json").read_text())["status"]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path / "presets"))
    running = PtyApp(tmp_path)
    yield running
    running.close()


def start_training(app: PtyApp) -> Path:
    """Wait for the app's first frame, press s (again, until a run begins), wait until the run has logged an epoch; its run directory."""
    wait_for(lambda: b"Start" in app.output, timeout=120, what="the app's first frame")
    for _ in range(60):  # a key typed while the app still starts up may be dropped: type it until a run begins
        app.press("s")
        try:
            wait_for(lambda: app.run_dir() is not None, timeout=2, what="a run")
            break
        except AssertionError:
            continue
    wait_for(lambda: app.run_dir() is not None and epochs_logged(app.run_dir()) >= 1, timeout=120, what="an epoch")
    return app.run_dir()


def assert_trains_on_headless(run_dir: Path, app_pid: int) -> None:
    """The run goes on after the app is gone, in another process, then stops cleanly on that process's SIGTERM."""
    assert is_locked(run_dir)
    pid = trainer_pid(run_dir)
    assert pid != app_pid
    done = epochs_logged(run_dir)
    wait_for(lambda: epochs_logged(run_dir) > done + 2, timeout=120, what="more epochs after the app exited")
    assert summary_status(run_dir) == "running"
    listing = runs_table(list_runs(run_dir.parent))
    assert f"running: {run_dir.name}: trained by process {pid} on " in listing
    os.kill(pid, signal.SIGTERM)  # `kill PID` of a headless run: stopped, resumable
    wait_for(lambda: not is_locked(run_dir), timeout=120, what="the headless run to end")
    assert summary_status(run_dir) == "stopped"
    assert (run_dir / "last.pt").exists()


def test_sighup_restores_the_terminal_and_the_run_goes_on_headless(app):
    run_dir = start_training(app)
    app.proc.send_signal(signal.SIGHUP)
    assert app.proc.wait(timeout=120) == 0
    wait_for(lambda: LEAVE_ALT_SCREEN in app.output, timeout=30, what="the terminal restored")
    assert b"the run goes on headless" in app.output
    assert b"Traceback" not in app.output
    assert_trains_on_headless(run_dir, app.proc.pid)


def test_a_dropped_terminal_does_not_hang_the_app_nor_kill_the_run(app):
    run_dir = start_training(app)
    app.hang_up()  # the kernel hangs up the session: SIGHUP (and SIGCONT), then every write fails
    assert app.proc.wait(timeout=120) == 0
    assert_trains_on_headless(run_dir, app.proc.pid)


def test_sigterm_stops_the_run_resumable_and_exits_cleanly(app):
    run_dir = start_training(app)
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(timeout=120) == 0
    wait_for(lambda: LEAVE_ALT_SCREEN in app.output, timeout=30, what="the terminal restored")
    assert b"ended by SIGTERM; the run was stopped" in app.output
    assert b"Traceback" not in app.output
    assert not is_locked(run_dir)
    assert summary_status(run_dir) == "stopped"
    assert (run_dir / "last.pt").exists()


def test_a_sigcont_while_quitting_does_not_restart_the_terminal_nor_keep_the_app_alive(tmp_path, monkeypatch):
    """After a hang-up the kernel sends SIGCONT too. One that came after q had left application mode made Textual
    start it again: a new input thread, spinning on the dead terminal, kept the app from ever exiting (a core
    busy on the shared server for good). Here the SIGCONT comes at exactly that moment, every time."""
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path / "presets"))
    prelude = (
        "import os, signal\n"
        "from textual.drivers.linux_driver import LinuxDriver\n"
        "stop = LinuxDriver.stop_application_mode\n"
        "def stop_then_sigcont(self):\n"
        "    stop(self)\n"
        "    os.kill(os.getpid(), signal.SIGCONT)\n"
        "LinuxDriver.stop_application_mode = stop_then_sigcont\n"
    )
    app = PtyApp(tmp_path, prelude=prelude)
    try:
        wait_for(lambda: b"Start" in app.output, timeout=120, what="the app's first frame")
        app.press("q")
        assert app.proc.wait(timeout=60) == 0
        wait_for(lambda: LEAVE_ALT_SCREEN in app.output, timeout=30, what="the terminal restored")
        after = bytes(app.output).rsplit(LEAVE_ALT_SCREEN, 1)[1]
        assert ENTER_ALT_SCREEN not in after, "application mode started again after the app left it"
    finally:
        app.close()
