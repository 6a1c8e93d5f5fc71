"""ProcessBackend: a run in a child process gives the same events as in-process, obeys stop and
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
from helpers import wait_for
from process_runs import GatedRun, crashing_run, flood_run, printing_run, where_run

from tui_trainer.core.backend.base import BackendError
from tui_trainer.core.backend.process import ProcessBackend
from tui_trainer.core.data.preview import preview_or_message
from tui_trainer.core.pipeline.execute import run
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.boundary import BoundaryMap
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, RunStarted
from tui_trainer.core.spec.experiment import DataSpec
from tui_trainer.core.spec.presets import load_preset

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the training process needs POSIX")


def moons(epochs: int = 3, **train):
    return load_preset("mlp").with_data(name="moons").with_train(epochs=epochs, **train)


def request(epochs: int = 3, runs_dir: str | None = None, **train) -> RunRequest:
    return RunRequest(moons(epochs, **train), runs_dir=runs_dir)


def train(backend, req: RunRequest, on_event=lambda event, handle: None) -> RunEnded:
    """Start the run and read its events to the end, on_event(event, handle) for each; returns the last one
    (a RunEnded). The events generator is closed however the loop ends, as the app's reader does."""
    handle = backend.start(req)
    events = handle.events()
    last = None
    try:
        for last in events:
            on_event(last, handle)
    finally:
        events.close()
    assert isinstance(last, RunEnded), last
    return last


@pytest.fixture(scope="module")
def backend():
    proc = ProcessBackend(threads=1)
    yield proc
    proc.close()


@pytest.mark.process
def test_a_run_in_the_child_equals_the_same_run_in_process(backend) -> None:
    experiment = moons()
    here: list = []
    run(RunRequest(experiment, runs_dir=None), on_event=here.append, should_stop=lambda: False)
    there: list = []
    end = train(backend, RunRequest(experiment, runs_dir=None), lambda event, _: there.append(event))

    assert isinstance(end, RunEnded) and end.status == "finished"
    capped = (BatchEnd, BoundaryMap)  # sent at most so often of the wall clock: how many differs between runs
    assert [type(e) for e in there if not isinstance(e, capped)] == [type(e) for e in here if not isinstance(e, capped)]
    assert isinstance(there[-1], RunEnded) and there[-1] == end
    assert here[-1].history and end.history == ()  # the EpochEnds before it carried every epoch
    assert [(e.train_loss, e.val_loss, e.val_accuracy) for e in there if isinstance(e, EpochEnd)] == [
        (e.train_loss, e.val_loss, e.val_accuracy) for e in here if isinstance(e, EpochEnd)
    ]
    assert backend.devices()[:2] == ("auto", "cpu")


@pytest.mark.process
def test_the_run_trains_on_a_thread_count_the_app_picks() -> None:
    events: list = []
    backend_1 = ProcessBackend(threads=1, run=where_run)
    try:
        train(backend_1, request(), lambda event, _: events.append(event))
        train(backend_1, request(threads=2), lambda event, _: events.append(event))
    finally:
        backend_1.close()
    (pid1, _, threads_auto), (pid2, _, threads_set) = (e.message.split() for e in events if hasattr(e, "message"))
    assert pid1 == pid2 != str(os.getpid())  # one warm child for both runs
    assert (threads_auto, threads_set) == ("1", "2")


@pytest.mark.process
def test_stop_reaches_the_child(backend) -> None:
    events: list = []

    def on_event(event, handle) -> None:
        events.append(event)
        if isinstance(event, BatchEnd):
            handle.stop()

    end = train(backend, request(epochs=200), on_event)
    assert end.status == "stopped"
    assert sum(isinstance(e, EpochEnd) for e in events) < 200


@pytest.mark.process
def test_a_resume_wakes_the_reader_of_a_parked_run(backend, monkeypatch) -> None:
    """While the child is parked nothing arrives on the pipe: the reader sleeps until the UI asks (RunControl's
    on_change wakes it), so resume() and stop() reach the child at once, not at the reader's next idle look (an
    hour here: the run would hang)."""
    from tui_trainer.core.backend.process import parent

    backend.wait_ready()
    monkeypatch.setattr(parent, "IDLE_CHECK_S", 3600.0)
    handle = backend.start(request(epochs=40))
    log: list[object] = []
    reader = threading.Thread(target=lambda: log.extend(handle.events()), daemon=True)
    reader.start()
    handle.pause()
    wait_for(handle.parked.is_set, what="the child parked")
    handle.resume()
    wait_for(lambda: not handle.parked.is_set(), what="the child acknowledged the resume")
    handle.stop()
    reader.join(120)
    assert not reader.is_alive() and isinstance(log[-1], RunEnded) and log[-1].status == "stopped"


def test_pause_parks_the_child_and_resume_continues(backend, monkeypatch) -> None:
    """Between the child's acknowledgement of the pause (handle.parked set) and resume(), no event arrives:
    checked over several rounds of the relay waiting on the pipe and finding nothing (no fixed sleep)."""
    from tui_trainer.core.backend.process import parent, pipes

    backend.wait_ready()
    monkeypatch.setattr(parent, "IDLE_CHECK_S", 0.05)  # the relay's idle looks, often enough to count soon
    real_wait = pipes.Wakeup.wait
    empty_polls = [0]

    def counting_wait(self, conn, timeout):
        ready = real_wait(self, conn, timeout)
        empty_polls[0] += not ready
        return ready

    monkeypatch.setattr(pipes.Wakeup, "wait", counting_wait)  # the relay's own waits on the pipe, counted
    handle = backend.start(request(epochs=40))
    log: list[tuple[object, bool]] = []  # (event, whether the child had acknowledged a pause when it came)

    def consume() -> None:
        for event in handle.events():
            log.append((event, handle.parked.is_set()))

    reader = threading.Thread(target=consume)
    reader.start()
    try:
        wait_for(lambda: any(isinstance(e, BatchEnd) for e, _ in log), what="the first BatchEnd")
        handle.pause()
        assert handle.parked.wait(60), "the child never acknowledged the pause"
        polls_at = empty_polls[0]
        wait_for(lambda: empty_polls[0] >= polls_at + 5, what="five empty looks at the pipe while parked")
        assert handle.paused and handle.parked.is_set()
        parked_at = len(log)
    finally:
        handle.resume()
        reader.join(120)
    assert not reader.is_alive()
    assert [e for e, parked in log if parked] == []  # nothing arrived once the pause had landed
    end = log[-1][0]
    assert isinstance(end, RunEnded) and end.status == "finished"
    assert not handle.parked.is_set()  # the child acknowledged the resume
    assert any(isinstance(e, BatchEnd) for e, _ in log[parked_at:])  # and training went on


@pytest.mark.process
def test_a_bug_in_the_child_ends_the_run_failed_and_the_child_lives_on() -> None:
    proc = ProcessBackend(threads=1, run=crashing_run)
    events: list = []
    try:
        end = train(proc, request(), lambda event, _: events.append(event))
        pid = proc.pid
        assert end.status == "failed" and "boom in the child" in end.reason
        assert events[-1] == end
        again = train(proc, request(), lambda event, _: events.append(event))
        assert again.status == "failed" and proc.pid == pid
    finally:
        proc.close()


@pytest.mark.process
def test_a_killed_child_fails_the_run_and_the_next_run_starts_a_new_one() -> None:
    proc = ProcessBackend(threads=1)
    try:
        proc.wait_ready()
        first_pid = proc.pid
        events: list = []

        def on_event(event, _) -> None:
            events.append(event)
            if isinstance(event, RunStarted):
                os.kill(first_pid, signal.SIGKILL)

        end = train(proc, request(epochs=500), on_event)
        assert end.status == "failed" and "killed by signal 9" in end.reason
        assert events[-1] == end and "new process" in end.hint
        end = train(proc, request())
        assert end.status == "finished" and proc.pid not in (None, first_pid)
    finally:
        proc.close()
    assert proc.pid is None


@pytest.mark.process
def test_the_child_never_writes_to_the_terminal(capfd, tmp_path) -> None:
    proc = ProcessBackend(threads=1, run=printing_run)
    try:
        end = train(proc, request(epochs=1, runs_dir=str(tmp_path)))
    finally:
        proc.close()
    assert end.status == "finished"
    out, err = capfd.readouterr()
    assert "LEAK" not in out + err
    assert len(list(tmp_path.iterdir())) == 1  # the run was saved by the child, under runs_dir


def test_closed_backend_refuses_new_runs() -> None:
    proc = ProcessBackend(threads=1)
    proc.close()
    assert proc.closed
    with pytest.raises(BackendError):
        proc.wait_ready()
    with pytest.raises(BackendError):
        proc.start(request())


@pytest.mark.process
def test_works_from_a_script_without_a_main_guard_and_dies_with_its_parent(tmp_path) -> None:
    """A script (or the app) killed outright leaves no training process behind."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, sys
            from tui_trainer.core.backend.process import ProcessBackend
            proc = ProcessBackend(threads=1)
            print(proc.wait_ready(), proc.pid, flush=True)
            os._exit(0)  # no close(): as if the app was killed
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    devices, pid = out.stdout.rsplit(maxsplit=1)
    assert "'cpu'" in devices
    wait_for(lambda: not _alive(int(pid)), what=f"the orphaned training process {pid} exiting")


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


@pytest.mark.process
def test_previews_are_made_in_the_child_and_its_errors_come_back_as_messages(backend, monkeypatch) -> None:
    """What call(os.getpid) and call(dataset_info, "nope") checked: the work happens in the child (a
    preview made here would fail: this process's preview_or_message is broken), a failure there comes
    back as a message, and the child lives on after it."""
    import tui_trainer.core.data.preview as preview_module

    backend.wait_ready()
    pid = backend.pid
    assert pid is not None and pid != os.getpid() and _alive(pid)
    expected = preview_or_message(DataSpec(name="moons"))

    def broken_here(spec):
        raise AssertionError("the preview was made in the test's process")

    monkeypatch.setattr(preview_module, "preview_or_message", broken_here)
    monkeypatch.setattr(preview_module, "load_preview", broken_here)
    there = backend.preview(DataSpec(name="moons"))
    assert there == expected and there.kind == "2d", there
    nope = backend.preview(DataSpec(name="nope"))
    assert nope is not None and nope.kind == "message" and "nope" in nope.text, nope
    assert backend.pid == pid  # the child lives on after a failed preview


@pytest.mark.process
def test_a_preview_from_the_child_equals_one_made_here(backend) -> None:
    for name in ("moons", "digits28", "iris"):
        spec = DataSpec(name=name)
        there = backend.preview(spec)
        assert there == preview_or_message(spec)
        assert there.kind in ("2d", "image", "tabular"), there


@pytest.mark.process
def test_a_preview_waits_while_a_run_trains(backend) -> None:
    """What "call is refused while a run trains" became: a preview asked for during a run says it waits
    (on_wait), is answered only once the run ended, and then equals one made here."""
    spec = DataSpec(name="iris")
    waited = threading.Event()
    answers: list = []
    asker: list[threading.Thread] = []
    during_run: list[bool] = []

    def on_event(event, _) -> None:
        if isinstance(event, RunStarted):
            thread = threading.Thread(target=lambda: answers.append(backend.preview(spec, on_wait=waited.set)))
            asker.append(thread)
            thread.start()
            assert waited.wait(60), "the preview did not say it waits"
            during_run.append(thread.is_alive() and not answers)  # still waiting: the run is training

    end = train(backend, request(epochs=1), on_event)
    assert end.status == "finished" and during_run == [True]
    asker[0].join(120)
    assert answers == [preview_or_message(spec)]
    assert backend.preview(spec) == answers[0]  # idle again: previews are served at once


@pytest.mark.process
def test_start_is_refused_while_a_run_is_going(backend) -> None:
    refused: list[str] = []

    def on_event(event, _) -> None:
        if isinstance(event, RunStarted):
            try:
                backend.start(request())
            except BackendError as exc:
                refused.append(str(exc))

    end = train(backend, request(epochs=1), on_event)
    assert end.status == "finished" and refused and "still going" in refused[0]
    assert train(backend, request(epochs=1)).status == "finished"  # idle again: runs start


@pytest.mark.process
def test_stop_gets_through_a_flood_of_events() -> None:
    proc = ProcessBackend(threads=1, run=flood_run)
    seen: list = []

    def slow_consumer(event, handle) -> None:
        seen.append(event)
        if len(seen) == 10:
            handle.stop()
        time.sleep(0.0005)  # not a wait: a consumer slower than the child, so its pipe stays full

    try:
        proc.wait_ready()
        end = train(proc, request(), slow_consumer)
        assert end.status == "stopped", end
    finally:
        proc.close()


@pytest.mark.process
def test_an_exception_while_relaying_leaves_no_run_behind_in_the_child() -> None:
    proc = ProcessBackend(threads=1)

    def failing(event, _) -> None:
        if isinstance(event, RunStarted):
            raise RuntimeError("the UI went away")

    try:
        proc.wait_ready()
        first_pid = proc.pid
        with pytest.raises(RuntimeError, match="went away"):
            train(proc, request(epochs=100), failing)
        spec = DataSpec(name="iris")
        assert proc.preview(spec) == preview_or_message(spec)  # a clean child answers, not the old run
        assert proc.pid not in (None, first_pid)  # a new one: the old one was still busy with the run
        events: list = []
        end = train(proc, request(epochs=1), lambda event, _: events.append(event))
        assert end.status == "finished"
        assert [type(e).__name__ for e in events[:3]] == ["RunPhase", "RunPhase", "RunStarted"], events[:3]
        assert events[0].message == "loading moons"  # this run's own events, from its start
    finally:
        proc.close()


@pytest.mark.process
def test_stop_while_the_child_starts_ends_the_run_at_once(tmp_path) -> None:
    gate = tmp_path / "gate"  # the child cannot say Ready until this file exists
    proc = ProcessBackend(threads=1, run=GatedRun(str(gate)))
    try:
        handle = proc.start(request())
        handle.stop()
        events = list(handle.events())
        assert proc.pid is not None  # the child was started, and is still starting
        end = events[-1]
        assert end.status == "stopped" and "before training" in end.reason
        assert events == [end]
    finally:
        gate.touch()
        proc.close()


@pytest.mark.process
def test_closing_during_a_run_lets_it_end_stopped(tmp_path) -> None:
    from tui_trainer.core.runs import load_run

    proc = ProcessBackend(threads=1)
    closers: list[threading.Thread] = []

    def on_event(event, _) -> None:
        if isinstance(event, BatchEnd) and not closers:
            closers.append(threading.Thread(target=proc.close))
            closers[0].start()

    end = train(proc, request(epochs=500, runs_dir=str(tmp_path)), on_event)
    assert end.status == "stopped", end
    closers[0].join(60)
    assert not closers[0].is_alive() and proc.closed and proc.pid is None
    (run_dir,) = tmp_path.iterdir()
    assert load_run(run_dir).status == "stopped"
