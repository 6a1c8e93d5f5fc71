"""TrainerProcess: a run in a child process gives the same events as in-process, obeys stop and
pause, survives the child's death, keeps the terminal clean and never outlives the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from process_runs import crashing_run, printing_run, where_run

from tui_trainer.core.events import BatchEnd, EpochEnd, RunEnded, RunStarted
from tui_trainer.core.presets import load_preset
from tui_trainer.core.trainer_process import TrainerProcess, TrainerProcessError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the training process needs POSIX")


def moons(epochs: int = 3, **train):
    return load_preset("mlp").with_data(name="moons").with_train(epochs=epochs, **train)


class Control:
    """What the app passes as should_stop: flags read without blocking."""

    def __init__(self) -> None:
        self.stop_requested = False
        self.paused = False

    def __call__(self) -> bool:
        return self.stop_requested


@pytest.fixture(scope="module")
def process():
    proc = TrainerProcess(threads=1)
    yield proc
    proc.close()


def test_a_run_in_the_child_equals_the_same_run_in_process(process) -> None:
    from tui_trainer.core.engine import run_experiment

    experiment = moons()
    here: list = []
    run_experiment(experiment, on_event=here.append, should_stop=lambda: False)
    there: list = []
    end = process.train(experiment, on_event=there.append, should_stop=Control(), runs_dir=None)

    assert isinstance(end, RunEnded) and end.status == "finished"
    assert [type(e) for e in there if not isinstance(e, BatchEnd)] == [
        type(e) for e in here if not isinstance(e, BatchEnd)
    ]
    assert isinstance(there[-1], RunEnded) and there[-1] == end
    assert [(e.train_loss, e.val_loss, e.val_accuracy) for e in there if isinstance(e, EpochEnd)] == [
        (e.train_loss, e.val_loss, e.val_accuracy) for e in here if isinstance(e, EpochEnd)
    ]
    assert process.devices is not None and process.devices[:2] == ("auto", "cpu")


def test_the_run_trains_on_a_thread_count_the_app_picks() -> None:
    events: list = []
    process_1 = TrainerProcess(threads=1, run=where_run)
    try:
        process_1.train(moons(), on_event=events.append, should_stop=Control(), runs_dir=None)
        process_1.train(moons(threads=2), on_event=events.append, should_stop=Control(), runs_dir=None)
    finally:
        process_1.close()
    (pid1, _, threads_auto), (pid2, _, threads_set) = (e.message.split() for e in events if hasattr(e, "message"))
    assert pid1 == pid2 != str(os.getpid())  # one warm child for both runs
    assert (threads_auto, threads_set) == ("1", "2")


def test_stop_reaches_the_child_within_a_moment(process) -> None:
    control, events = Control(), []

    def on_event(event) -> None:
        events.append(event)
        if isinstance(event, BatchEnd):
            control.stop_requested = True

    t0 = time.monotonic()
    end = process.train(moons(epochs=200), on_event=on_event, should_stop=control, runs_dir=None)
    assert end.status == "stopped"
    assert time.monotonic() - t0 < 20
    assert sum(isinstance(e, EpochEnd) for e in events) < 200


def test_pause_parks_the_child_and_resume_continues(process) -> None:
    control, events = Control(), []
    stamps: list[float] = []

    def on_event(event) -> None:
        events.append(event)
        if isinstance(event, BatchEnd):
            stamps.append(time.monotonic())

    def driver() -> None:
        while not stamps:
            time.sleep(0.01)
        control.paused = True
        time.sleep(1.5)
        paused_at = len(stamps)
        time.sleep(1.0)
        driver.during_pause = len(stamps) - paused_at  # nothing may arrive once the pause has landed
        control.paused = False

    worker = threading.Thread(target=driver)
    worker.start()
    end = process.train(moons(epochs=40), on_event=on_event, should_stop=control, runs_dir=None)
    worker.join()
    assert end.status == "finished"
    assert driver.during_pause == 0
    assert max(b - a for a, b in zip(stamps, stamps[1:])) >= 1.0  # the gap of the pause


def test_a_bug_in_the_child_ends_the_run_failed_and_the_child_lives_on() -> None:
    proc = TrainerProcess(threads=1, run=crashing_run)
    events: list = []
    try:
        end = proc.train(moons(), on_event=events.append, should_stop=Control(), runs_dir=None)
        pid = proc.pid
        assert end.status == "failed" and "boom in the child" in end.reason
        assert events[-1] == end
        again = proc.train(moons(), on_event=events.append, should_stop=Control(), runs_dir=None)
        assert again.status == "failed" and proc.pid == pid
    finally:
        proc.close()


def test_a_killed_child_fails_the_run_and_the_next_run_starts_a_new_one() -> None:
    proc = TrainerProcess(threads=1)
    try:
        proc.wait_ready()
        first_pid = proc.pid
        events: list = []

        def on_event(event) -> None:
            events.append(event)
            if isinstance(event, RunStarted):
                os.kill(first_pid, signal.SIGKILL)

        end = proc.train(moons(epochs=500), on_event=on_event, should_stop=Control(), runs_dir=None)
        assert end.status == "failed" and "killed by signal 9" in end.reason
        assert events[-1] == end and "new process" in end.hint
        end = proc.train(moons(), on_event=lambda e: None, should_stop=Control(), runs_dir=None)
        assert end.status == "finished" and proc.pid not in (None, first_pid)
    finally:
        proc.close()
    assert proc.pid is None


def test_the_child_never_writes_to_the_terminal(capfd, tmp_path) -> None:
    proc = TrainerProcess(threads=1, run=printing_run)
    try:
        end = proc.train(moons(epochs=1), on_event=lambda e: None, should_stop=Control(), runs_dir=tmp_path)
    finally:
        proc.close()
    assert end.status == "finished"
    out, err = capfd.readouterr()
    assert "LEAK" not in out + err
    assert len(list(tmp_path.iterdir())) == 1  # the run was saved by the child, under runs_dir


def test_closed_process_refuses_new_runs() -> None:
    proc = TrainerProcess(threads=1)
    proc.close()
    with pytest.raises(TrainerProcessError):
        proc.wait_ready()


def test_works_from_a_script_without_a_main_guard_and_dies_with_its_parent(tmp_path) -> None:
    """A script (or the app) killed outright leaves no training process behind."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, sys
            from tui_trainer.core.trainer_process import TrainerProcess
            proc = TrainerProcess(threads=1)
            print(proc.wait_ready(), proc.pid, flush=True)
            os._exit(0)  # no close(): as if the app was killed
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    devices, pid = out.stdout.rsplit(maxsplit=1)
    assert "'cpu'" in devices
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(int(pid)):
        time.sleep(0.1)
    assert not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its (gone) parent counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def test_call_runs_in_the_child_and_raises_its_exceptions(process) -> None:
    from tui_trainer.core.datasets import DatasetError, dataset_info

    assert process.call(os.getpid) == process.pid != os.getpid()
    with pytest.raises(DatasetError, match="nope"):
        process.call(dataset_info, "nope")
    assert process.call(os.getpid) == process.pid  # the child lives on after an exception


def test_a_preview_from_the_child_equals_one_made_here(process) -> None:
    from tui_trainer.core.config import DataSpec
    from tui_trainer.core.preview import preview_or_message

    for name in ("moons", "digits28", "iris"):
        spec = DataSpec(name=name)
        there = process.call(preview_or_message, spec)
        assert there == preview_or_message(spec)
        assert there.kind in ("2d", "image", "tabular"), there


def test_call_is_refused_while_a_run_trains(process) -> None:
    from tui_trainer.core.trainer_process import TrainerProcessBusy

    refused: list[str] = []

    def on_event(event) -> None:
        if isinstance(event, RunStarted):
            try:
                process.call(os.getpid)
            except TrainerProcessBusy as exc:
                refused.append(str(exc))

    end = process.train(moons(epochs=1), on_event=on_event, should_stop=Control(), runs_dir=None)
    assert end.status == "finished" and refused
    assert process.call(os.getpid) == process.pid  # idle again: calls are served


def test_stop_gets_through_a_flood_of_events() -> None:
    from process_runs import flood_run

    proc = TrainerProcess(threads=1, run=flood_run)
    control, seen = Control(), []

    def slow_consumer(event) -> None:
        seen.append(event)
        if len(seen) == 10:
            control.stop_requested = True
        time.sleep(0.0005)

    try:
        proc.wait_ready()
        t0 = time.monotonic()
        end = proc.train(moons(), on_event=slow_consumer, should_stop=control, runs_dir=None)
        assert end.status == "stopped", end
        assert time.monotonic() - t0 < 10
    finally:
        proc.close()


def test_an_exception_while_relaying_leaves_no_run_behind_in_the_child() -> None:
    proc = TrainerProcess(threads=1)

    def failing(event) -> None:
        if isinstance(event, RunStarted):
            raise RuntimeError("the UI went away")

    try:
        with pytest.raises(RuntimeError, match="went away"):
            proc.train(moons(epochs=100), on_event=failing, should_stop=Control(), runs_dir=None)
        assert proc.call(os.getpid) == proc.pid  # a clean (new) child answers the call itself
        events: list = []
        end = proc.train(moons(epochs=1), on_event=events.append, should_stop=Control(), runs_dir=None)
        assert end.status == "finished"
        assert [type(e).__name__ for e in events[:3]] == ["RunPhase", "RunPhase", "RunStarted"], events[:3]
        assert events[0].message == "loading moons"  # this run's own events, from its start
    finally:
        proc.close()


def test_stop_while_the_child_starts_ends_the_run_at_once() -> None:
    proc = TrainerProcess(threads=1)
    control = Control()
    control.stop_requested = True
    try:
        t0 = time.monotonic()
        events: list = []
        end = proc.train(moons(), on_event=events.append, should_stop=control, runs_dir=None)
        assert end.status == "stopped" and "before training" in end.reason
        assert events == [end] and time.monotonic() - t0 < 1.0  # torch was still being imported
    finally:
        proc.close()


def test_closing_during_a_run_lets_it_end_stopped(tmp_path) -> None:
    from tui_trainer.core.runs import load_run

    proc = TrainerProcess(threads=1)
    ends: list = []

    def on_event(event) -> None:
        if isinstance(event, BatchEnd) and not ends:
            ends.append("closing")
            threading.Thread(target=proc.close).start()

    end = proc.train(moons(epochs=500), on_event=on_event, should_stop=Control(), runs_dir=tmp_path)
    assert end.status == "stopped", end
    deadline = time.monotonic() + 10
    while proc.pid is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    (run_dir,) = tmp_path.iterdir()
    assert load_run(run_dir).status == "stopped"
