"""One run, one trainer: the process that trains a run holds its lock; a second trainer, a delete or a listing
see it; the lock goes with the process, kill -9 included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from helpers import wait_for

from tui_trainer.cli import main
from tui_trainer.core.runs import RunError, delete_run, load_run
from tui_trainer.core.runs.lock import LOCK, RunLock, holder, is_locked

pytestmark = [pytest.mark.process, pytest.mark.skipif(os.name != "posix", reason="flock is POSIX")]
ARGS = ["--dataset", "moons", "--preset", "mlp", "--set", "threads=1", "--set", "n_samples=200"]


def cli(*argv: str, **kwargs) -> subprocess.Popen:
    """`tui-trainer ...` in a process of its own (so it holds its own lock)."""
    code = "import sys; from tui_trainer.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


def finished_run(tmp_path) -> str:
    runs = tmp_path / "runs"
    assert main(["train", *ARGS, "--set", "epochs=1", "--runs-dir", str(runs)]) == 0
    (run,) = runs.iterdir()
    return str(run)


def summary_status(run: str) -> str:
    try:
        with open(os.path.join(run, "summary.json"), encoding="utf-8") as fh:
            return json.load(fh)["status"]
    except (OSError, ValueError, KeyError):
        return ""


def test_the_lock_is_held_until_released_and_says_by_whom(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    assert is_locked(run) is None  # no lock file: a run of an older version
    lock = RunLock.acquire(run)
    assert is_locked(run) is True and holder(run) == f"process {os.getpid()} on {os.uname().nodename}"
    with pytest.raises(RunError, match="is being trained by process"):
        RunLock.acquire(run)
    lock.release()
    lock.release()  # idempotent
    assert is_locked(run) is False and (run / LOCK).exists()
    RunLock.acquire(run).release()


def test_a_run_being_trained_refuses_a_resume_and_a_delete_and_lists_as_running(tmp_path, capsys):
    run = finished_run(tmp_path)
    trainer = cli("train", "--resume", run, "--set", "epochs=10000")
    try:
        wait_for(lambda: summary_status(run) == "running" and is_locked(run), what="the resume trains")
        assert load_run(run).status == "running"
        assert main(["train", "--resume", run, "--set", "epochs=10000"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [
            f"error: {run} is being trained by process {trainer.pid} on {os.uname().nodename}: wait for it to end, or stop it first"
        ]
        with pytest.raises(RunError, match="is being trained by process"):
            delete_run(run)
        trainer.send_signal(signal.SIGKILL)
        trainer.wait(60)
    finally:
        if trainer.poll() is None:
            trainer.kill()
            trainer.wait(60)
    # the kernel released the lock with the process: the summary still says running, the listing says why not
    assert summary_status(run) == "running" and is_locked(run) is False
    assert load_run(run).status == "interrupted"
    assert main(["train", "--resume", run, "--set", "epochs=3"]) == 0


def test_two_resumes_started_together_train_one_run_once(tmp_path):
    run = finished_run(tmp_path)
    both = [cli("train", "--resume", run, "--set", "epochs=10000") for _ in range(2)]
    try:
        wait_for(lambda: any(p.poll() is not None for p in both), timeout=120, what="one resume to be refused")
        refused = next(p for p in both if p.poll() is not None)
        trainer = next(p for p in both if p is not refused)
        _, err = refused.communicate(timeout=60)
        assert refused.returncode == 2, err
        assert err.strip().count("\n") == 0 and "error:" in err
        assert "is being trained by process" in err or "still being written by process" in err
        wait_for(lambda: is_locked(run), what="the other one trains")
        trainer.send_signal(signal.SIGINT)
        trainer.communicate(timeout=120)
        assert trainer.returncode == 130  # stopped, resumable
    finally:
        for p in both:
            if p.poll() is None:
                p.kill()
                p.wait(60)
    assert load_run(run).status == "stopped" and is_locked(run) is False
