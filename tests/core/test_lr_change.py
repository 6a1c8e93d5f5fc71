"""Changing the learning rate while a run trains: applied from the next batch, an event, in the run directory,
through resume, over both backends, refused for a followed run, and reproduced by the exported script."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import threading

import pytest
from helpers import wait_for

from tui_trainer.core.backend.follow import FollowRun
from tui_trainer.core.backend.thread import ThreadBackend
from tui_trainer.core.data import load_dataset
from tui_trainer.core.export import ExportSource, export_script, load_source
from tui_trainer.core.pipeline.execute import run
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.runs import list_runs
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, LrChanged, RunEnded, RunPhase, event_from_dict
from tui_trainer.core.spec.lr_change import changes_words, parse_lr
from tui_trainer.core.spec.presets import load_preset


def moons(epochs: int = 3, **train):
    """mlp on moons, small and quick: 16 batches an epoch."""
    options = {"epochs": epochs, "batch_size": 50, "threads": 1, "device": "cpu", "optimizer": "sgd", "lr": 0.1}
    return load_preset("mlp").with_data(name="moons").with_train(**{**options, **train})


class Scripted:
    """A run's controls (should_stop with take_lr): asks for changes[n] at the n-th poll, stops at stop_at."""

    def __init__(self, changes: dict[int, float], stop_at: int | None = None) -> None:
        self.changes, self.stop_at, self.calls = changes, stop_at, 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.stop_at is not None and self.calls >= self.stop_at

    def take_lr(self) -> float | None:
        return self.changes.get(self.calls)


def train(experiment, controls, runs_dir=None, resume=None):
    events = []
    end = run(RunRequest(experiment, runs_dir=runs_dir, resume=resume), on_event=events.append, should_stop=controls)
    return end, events


def metrics_lrs(run_dir) -> list[float]:
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as handle:
        return [float(row["lr"]) for row in csv.DictReader(handle)]


def test_parse_lr_says_what_is_wrong():
    assert parse_lr(" 0.05 ") == 0.05
    for text, words in [("abc", "must be a number"), ("0", "greater than 0"), ("-1", "greater than 0"),
                        ("nan", "finite"), ("inf", "finite"), ("100", "at most 10")]:  # fmt: skip
        with pytest.raises(ValueError, match=words):
            parse_lr(text)


def test_a_change_applies_from_the_next_batch_and_the_schedule_goes_on_from_it(tmp_path):
    """lr 0.1 with a step schedule halving it each epoch; set to 0.01 in epoch 1: epochs train at 0.01,
    0.005, 0.0025 (the schedule scaled), and events, events.jsonl, metrics.csv, summary.json and the listing say so."""
    exp = moons(3, schedule="step", step_size=1, gamma=0.5)
    end, events = train(exp, Scripted({6: 0.01}), runs_dir=str(tmp_path))
    assert end.status == "finished", end.reason
    changes = [e for e in events if isinstance(e, LrChanged)]
    assert len(changes) == 1
    change = changes[0]
    assert (change.epoch, change.old_lr, change.lr) == (1, 0.1, 0.01)
    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert all(b.lr == pytest.approx(0.1) for b in batches if b.step < change.step)
    assert all(b.lr < 0.0101 for b in batches if b.step > change.step)
    assert [e.lr for e in events if isinstance(e, EpochEnd)] == pytest.approx([0.01, 0.005, 0.0025])
    run_dir = next(tmp_path.iterdir())
    assert metrics_lrs(run_dir) == pytest.approx([0.01, 0.005, 0.0025])
    logged = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert [event_from_dict(d) for d in logged if d["type"] == "LrChanged"] == [change]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["lr_changes"] == [
        {"epoch": 1, "batch": change.batch, "step": change.step, "old_lr": 0.1, "lr": 0.01}
    ]
    (record,) = list_runs(tmp_path)
    assert record.settings_note == "lr changed by hand at epoch 1 (0.1 -> 0.01)"


def test_resume_continues_with_the_rate_set_by_hand(tmp_path):
    """Stopped in epoch 3 after a change in epoch 1, resumed: the same epochs as a run never stopped."""
    exp = moons(4, schedule="step", step_size=1, gamma=0.5)
    whole, _ = train(exp, Scripted({6: 0.01}))
    stopped, _ = train(exp, Scripted({6: 0.01}, stop_at=2 + 16 * 2 + 5), runs_dir=str(tmp_path))
    assert stopped.status == "stopped" and stopped.epochs_done == 2
    run_dir = next(tmp_path.iterdir())
    resumed, events = train(None, Scripted({}), resume=str(run_dir))
    assert resumed.status == "finished", resumed.reason
    assert metrics_lrs(run_dir) == pytest.approx([0.01, 0.005, 0.0025, 0.00125])
    assert [e.val_loss for e in resumed.history] == [e.val_loss for e in whole.history]
    assert json.loads((run_dir / "summary.json").read_text())["lr_changes"][0]["lr"] == 0.01


def test_a_bad_rate_is_refused_with_a_note_and_training_goes_on():
    end, events = train(moons(1), Scripted({4: -1.0, 5: float("nan")}))
    assert end.status == "finished"
    assert not [e for e in events if isinstance(e, LrChanged)]
    notes = [e.message for e in events if isinstance(e, RunPhase)]
    assert any("greater than 0" in n and "stays 0.1" in n for n in notes)
    assert any("finite" in n for n in notes)
    assert [e.lr for e in events if isinstance(e, EpochEnd)] == [0.1]


def gated(gate: threading.Event):
    def body(request, *, on_event, should_stop):
        assert gate.wait(60)
        return run(request, on_event=on_event, should_stop=should_stop)

    return body


def test_the_thread_backend_passes_a_change_to_the_run():
    gate = threading.Event()
    backend = ThreadBackend(gated(gate), devices=("auto", "cpu"))
    handle = backend.start(RunRequest(moons(1), runs_dir=None))
    assert handle.set_lr(0.02) == ""
    gate.set()
    events = list(handle.events())
    backend.close()
    (change,) = [e for e in events if isinstance(e, LrChanged)]
    assert (change.epoch, change.batch, change.lr) == (1, 1, 0.02)


@pytest.mark.process
@pytest.mark.skipif(os.name != "posix", reason="the training process needs POSIX")
def test_the_process_backend_passes_a_change_to_the_child():
    """Paused (the child parked), a rate asked for, resumed: the child's next batch trains with it."""
    from tui_trainer.core.backend.process import ProcessBackend

    backend = ProcessBackend(threads=1)
    try:
        handle = backend.start(RunRequest(moons(40), runs_dir=None))
        log: list[object] = []
        reader = threading.Thread(target=lambda: log.extend(handle.events()))
        reader.start()
        wait_for(lambda: any(isinstance(e, BatchEnd) for e in log), what="the first BatchEnd")
        handle.pause()
        assert handle.parked.wait(60), "the child never acknowledged the pause"
        assert handle.set_lr(0.03) == ""
        handle.resume()
        wait_for(lambda: any(isinstance(e, LrChanged) for e in log), what="the LrChanged")
        changed_at = next(e.step for e in log if isinstance(e, LrChanged))
        # A batch reported after the change, before the stop (a stop reaches the child at once since the reader
        # wakes for it, often before the next BatchEnd: CI caught a run stopped with none).
        wait_for(lambda: any(isinstance(e, BatchEnd) and e.step > changed_at for e in list(log)), what="a later batch")
        handle.stop()
        reader.join(120)
    finally:
        backend.close()
    (change,) = [e for e in log if isinstance(e, LrChanged)]
    assert change.lr == 0.03 and change.old_lr == 0.1
    assert isinstance(log[-1], RunEnded) and log[-1].status == "stopped"
    after = [e for e in log if isinstance(e, BatchEnd) and e.step > change.step]
    assert after and all(b.lr == 0.03 for b in after)


def test_a_followed_run_says_it_cannot_change_the_rate(tmp_path):
    words = FollowRun(tmp_path).set_lr(0.1)
    assert "cannot be changed from here" in words


# ---------------------------------------------------------------- the exported script


def import_script(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "options",
    [{}, {"schedule": "cosine"}, {"optimizer": "adam", "lr": 0.01, "schedule": "onecycle"}],
    ids=["none", "cosine", "onecycle"],
)
def test_the_exported_script_changes_the_rate_where_the_run_did(tmp_path, capsys, options):
    exp = moons(3, **options)
    lr0 = exp.train.lr
    end, events = train(exp, Scripted({6: lr0 / 4, 30: lr0 / 2}))
    changes = tuple((e.step, e.lr) for e in events if isinstance(e, LrChanged))
    assert len(changes) == 2
    bundle = load_dataset(exp.data)
    source = ExportSource(exp, bundle.input_shape, bundle.n_classes, "a test", lr_changes=changes)
    path = tmp_path / "train.py"
    path.write_text(export_script(source, "train.py"))
    import_script(path).main()
    printed = re.findall(r"val loss (\S+) acc\s+(\S+)\s+lr (\S+)", capsys.readouterr().out)
    assert printed == [(f"{e.val_loss:.4f}", f"{e.val_accuracy:.2%}", f"{e.lr:.3g}") for e in end.history]


def test_export_of_a_run_directory_reads_its_changes(tmp_path):
    train(moons(1), Scripted({6: 0.01}), runs_dir=str(tmp_path))
    source = load_source(next(tmp_path.iterdir()))
    assert len(source.lr_changes) == 1 and source.lr_changes[0][1] == 0.01
    assert "LR_CHANGES = {" in export_script(source)


def test_changes_words():
    assert changes_words([]) == ""
    two = [{"epoch": 2, "old_lr": 0.1, "lr": 0.05}, {"epoch": 5, "old_lr": 0.05, "lr": 0.2}]
    assert changes_words(two) == "lr changed by hand at epoch 2 (0.1 -> 0.05), epoch 5 (0.05 -> 0.2)"
