"""Start-up timings, each in a fresh subprocess: import torch, an empty Textual app's first frame, the app's first
painted frame, ready to train."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

from _load import claim, process_cpu_s

COLS, ROWS = 120, 40
FRAME_MARKERS = (b"tui-trainer", b"1 Data")
"""Text of the first screen (header title, first tab): bytes holding it mean a frame was painted."""

READY_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    out = os.environ["BENCH_OUT"]
    from tui_trainer.ui.app import TrainerApp
    marks = {}
    mount, found = TrainerApp.on_mount, TrainerApp.on_devices_found

    def on_mount(self):
        mount(self)
        self.call_after_refresh(lambda: marks.setdefault("first_refresh", time.time()))

    def on_devices_found(self, message):
        found(self, message)
        marks.update(ready=time.time(), devices=list(self.devices))
        with open(out, "w") as f:
            json.dump(marks, f)
        os._exit(0)

    TrainerApp.on_mount, TrainerApp.on_devices_found = on_mount, on_devices_found
    from tui_trainer.cli import main
    sys.exit(main([]))
    """
)

EMPTY_APP_SCRIPT = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Footer, Static, TabbedContent, TabPane

    class Empty(App):
        BINDINGS = [("q", "quit", "Quit"), ("s", "bell", "Start"), ("p", "bell", "Pause"), ("x", "bell", "Stop")]

        def compose(self):
            yield Static("tui-trainer")
            with TabbedContent():
                for label in ("1 Data", "2 Model", "3 Hyperparams", "4 Train", "5 Runs", "? Help"):
                    with TabPane(label):
                        yield Static(label)
            yield Footer()

    Empty().run()
    """
)
"""The yardstick of first_frame_vs_empty: a Textual app with the same top line, six tabs and a footer, nothing else."""


def tui_command() -> list[str]:
    """The installed `tui-trainer` command (next to this Python, else on PATH, else python -m)."""
    here = Path(sys.executable).parent / "tui-trainer"
    if here.exists():
        return [str(here)]
    found = shutil.which("tui-trainer")
    return [found] if found else [sys.executable, "-m", "tui_trainer"]


def _env() -> dict[str, str]:
    """The environment of every timed start: a 120x40 colour terminal, and bytecode written (with
    PYTHONDONTWRITEBYTECODE set, a source checkout would compile all of tui_trainer at every start while the
    empty app's Textual has its .pyc from pip: a first start that every later one repeats)."""
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
    env.pop("NO_COLOR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


CHILD_MODULE = b"tui_trainer.core.backend.process.child"
"""In the command line of the app's training process, which lives in a session of its own: killing the app's
session leaves it importing torch for seconds, on a core the next timed start would need."""


def _training_children() -> set[int]:
    """Pids of running training processes (none found where /proc is missing)."""
    found = set()
    for entry in Path("/proc").glob("[0-9]*") if Path("/proc").is_dir() else ():
        try:
            if CHILD_MODULE in (entry / "cmdline").read_bytes():
                found.add(int(entry.name))
        except OSError:  # it ended meanwhile
            continue
    return found


def _wait_for_training_children(before: set[int], timeout: float = 30.0) -> None:
    """Until the training processes started since `before` have ended (each sees its app gone and exits);
    their CPU time, as last seen, counts as the bench's own (`_load.claim`)."""
    deadline = time.monotonic() + timeout
    last: dict[int, float] = {}
    while time.monotonic() < deadline:
        alive = _training_children() - before
        for pid in alive:
            cpu = process_cpu_s(pid)
            if cpu is not None:
                last[pid] = cpu
        if not alive:
            break
        time.sleep(0.05)
    claim(sum(last.values()))


def _warm_up() -> None:
    """Import what the timed starts import once, untimed: their bytecode written, torch's files in the page
    cache (a cold first `import torch` took twice as long as the next)."""
    modules = "tui_trainer.cli, tui_trainer.ui.app, tui_trainer.ui.tabs.data, textual.app, textual.widgets, torch"
    subprocess.run([sys.executable, "-c", f"import {modules}"], env=_env(), check=True)


def _in_pty(cmd: list[str], env: dict[str, str], cwd: str, until, timeout: float) -> tuple[float, float | None, bytes]:
    """Run cmd on a 120x40 pty, draining its output; returns (spawn wall time, seconds to until(buf) or None, output).

    until(buf) is checked after every read; the process is killed (its own session) once it holds
    or the process exits or timeout passes.
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    spawn_wall = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True)
    os.close(slave)
    buf, hit = b"", None
    try:
        while time.perf_counter() - t0 < timeout:
            ready, _, _ = select.select([master], [], [], 0.02)
            if ready:
                try:
                    data = os.read(master, 1 << 16)
                except OSError:
                    data = b""
                if not data:
                    break
                buf += data
                if hit is None and until(buf):
                    hit = time.perf_counter() - t0
                    break
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)
    return spawn_wall, hit, buf


def _painted(buf: bytes) -> bool:
    screen = buf.split(b"\x1b[?1049h", 1)  # text after entering the alternate screen
    return len(screen) == 2 and any(m in screen[1] for m in FRAME_MARKERS)


def first_frame_s(cwd: str, cmd: list[str] | None = None) -> float:
    """Seconds from spawning the real `tui-trainer` (or cmd) on a 120x40 pty to the first output bytes of a
    painted frame."""
    _, hit, buf = _in_pty(cmd or tui_command(), _env(), cwd, _painted, 30.0)
    if hit is None:
        raise RuntimeError(
            f"{(cmd or ['tui-trainer'])[0]} painted no frame in 30 s; its output ended with {buf[-400:]!r}"
        )
    return hit


def empty_app_first_frame_s(cwd: str) -> float:
    """first_frame_s of EMPTY_APP_SCRIPT, run by the same Python."""
    return first_frame_s(cwd, [sys.executable, "-c", EMPTY_APP_SCRIPT])


def ready_s(cwd: str) -> dict[str, float]:
    """The app run as `tui-trainer` does (cli.main) on a pty, instrumented: seconds from spawn to the
    first refresh (call_after_refresh in on_mount) and to app.devices being set by the background probe."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as f:
        out = f.name
    try:
        env = dict(_env(), BENCH_OUT=out)
        spawn, _, buf = _in_pty([sys.executable, "-c", READY_SCRIPT], env, cwd, lambda b: False, 60.0)
        text = Path(out).read_text()
        if not text:
            raise RuntimeError(f"the app never became ready in 60 s; its output ended with {buf[-400:]!r}")
        marks = json.loads(text)
    finally:
        os.unlink(out)
    return {"ready_s": marks["ready"] - spawn, "first_refresh_s": marks["first_refresh"] - spawn}


def import_torch_s() -> float:
    """Seconds for `python -c "import torch"` (process start and exit included)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - t0


FRAME_PAIRS = 5
"""First frames timed per round, each the empty app's then the app's: one start of either varies by a third on a
shared machine, so the ratio is the median of many side-by-side pairs (quick mode too: its verdict is the full one's)."""


def measure(reps: int, log) -> dict[str, list[float]]:
    """reps interleaved rounds of the start-up timings: import torch, FRAME_PAIRS first-frame pairs, ready to train.

    "first_frame_vs_empty" holds each pair's ratio (app / empty app, started one after the other)."""
    got: dict[str, list[float]] = {
        "import_torch_s": [],
        "empty_app_first_frame_s": [],
        "first_frame_s": [],
        "first_frame_vs_empty": [],
        "ready_s": [],
        "first_refresh_s": [],
    }
    _warm_up()
    others = _training_children()
    with tempfile.TemporaryDirectory(prefix="tui-bench-") as cwd:
        for i in range(reps):
            got["import_torch_s"].append(import_torch_s())
            for _ in range(FRAME_PAIRS):
                empty, app = empty_app_first_frame_s(cwd), first_frame_s(cwd)
                got["empty_app_first_frame_s"].append(empty)
                got["first_frame_s"].append(app)
                got["first_frame_vs_empty"].append(app / empty)
                _wait_for_training_children(others)
            for key, value in ready_s(cwd).items():
                got[key].append(value)
            _wait_for_training_children(others)
            log(f"start-up {i + 1}/{reps}: " + "  ".join(f"{k} {statistics.median(v):.2f}" for k, v in got.items()))
    return got
