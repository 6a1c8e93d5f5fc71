"""Run directories: the files a run writes, atomic writes, checkpoints, listing damaged runs, following events."""

from __future__ import annotations

import csv
import errno
import json
import os
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest
import torch
from helpers import CNN, SimulatedClock
from helpers import experiment as base_experiment

from tui_trainer.cli import main
from tui_trainer.core.runs import (
    EventFollower,
    RunError,
    RunWriter,
    current_events,
    list_runs,
    listing_problem,
    load_checkpoint,
    read_epochs,
    read_new_lines,
    read_summary,
    root_problem,
)
from tui_trainer.core.runs import files as run_files
from tui_trainer.core.runs import writer as writer_module
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, RunStarted
from tui_trainer.core.spec.experiment import Experiment, LayerSpec, experiment_from_dict, load
from tui_trainer.core.training.engine import fit
from tui_trainer.core.training.model import build_model
from tui_trainer.core.training.state import load_model

L = LayerSpec
WHEN = datetime(2026, 11, 26, 12, 3, 55)


def experiment(layers=CNN, **train) -> Experiment:
    return base_experiment(layers, name="lenet-ish", **{"epochs": 3, **train})


def train_into(root: Path, data, exp: Experiment | None = None, **kwargs):
    """Train with a RunWriter; returns (writer, RunEnded, every event the sink saw)."""
    exp = exp or experiment()
    writer = RunWriter.create(root, exp, when=WHEN)
    seen = []
    end = fit(
        exp, data, on_event=writer.wrap(seen.append), should_stop=lambda: False, checkpoint=writer.checkpoint, **kwargs
    )
    return writer, end, seen


@pytest.fixture
def image_data(tiny_bundle):
    return tiny_bundle((1, 8, 8), 3, n_train=48, n_val=24)


# ---------------------------------------------------------------- what a run writes


def test_run_directory_files(tmp_path, image_data):
    writer, end, seen = train_into(tmp_path / "runs", image_data)
    path = writer.path
    assert path.name == "2026-11-26_12-03-55_lenet-ish_tiny"
    assert sorted(p.name for p in path.iterdir()) == sorted(
        ["experiment.toml", "metrics.csv", "events.jsonl", "summary.json", "last.pt", "best.pt"]
    )
    assert load(path / "experiment.toml") == experiment()

    rows = list(csv.reader((path / "metrics.csv").open()))
    assert rows[0] == ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"]
    assert [int(r[0]) for r in rows[1:]] == [1, 2, 3]
    for row, e in zip(read_epochs(path), end.history, strict=True):  # full precision, not rounded
        assert (row.train_loss, row.val_accuracy, row.lr, row.seconds) == (
            e.train_loss,
            e.val_accuracy,
            e.lr,
            e.seconds,
        )

    lines = (path / "events.jsonl").read_text().splitlines()
    docs = [json.loads(line) for line in lines]
    assert docs[0]["type"] == "RunStarted" and docs[-1]["type"] == "RunEnded"
    assert [d["epoch"] for d in docs if d["type"] == "EpochEnd"] == [1, 2, 3]
    assert all("time" in d for d in docs)
    epoch_doc = next(d for d in docs if d["type"] == "EpochEnd")
    assert epoch_doc["report"]["confusion_matrix"] == [list(r) for r in end.history[0].report.confusion]

    summary = read_summary(path)
    assert summary["format"] == 1 and summary["status"] == "finished" and summary["reason"] == "trained 3 epochs"
    assert summary["epochs_done"] == 3 and summary["epochs"] == 3
    assert summary["final"]["val_accuracy"] == end.history[-1].val_accuracy
    assert summary["best_val_accuracy"] == end.best_val_accuracy == summary["best"]["val_accuracy"]
    assert summary["val_report"]["confusion_matrix"] == [list(r) for r in end.history[-1].report.confusion]
    assert {"per_class", "macro", "weighted", "classes"} <= set(summary["val_report"])
    assert summary["test_accuracy"] == end.test_accuracy and summary["test_report"]["accuracy"] == end.test_accuracy
    assert summary["device"] == "cpu" and summary["params"] == seen[0].params
    assert summary["input_shape"] == [1, 8, 8] and summary["class_names"] == ["c0", "c1", "c2"]
    assert set(summary["versions"]) == {"tui-trainer", "torch", "python"}
    assert summary["versions"]["torch"] == torch.__version__
    assert summary["seconds"] > 0 and summary["train_seconds"] == pytest.approx(sum(e.seconds for e in end.history))
    # the sink still got every event, in order
    assert isinstance(seen[0], RunStarted) and seen[-1] is end


def test_names_are_readable_and_unique(tmp_path):
    exp = experiment().with_data(name="csv:/data/My Points.csv")
    names = [RunWriter.create(tmp_path, exp, when=WHEN).path.name for _ in range(3)]
    assert names == [
        "2026-11-26_12-03-55_lenet-ish_csv-My-Points",
        "2026-11-26_12-03-55_lenet-ish_csv-My-Points-2",
        "2026-11-26_12-03-55_lenet-ish_csv-My-Points-3",
    ]


# events.jsonl keeps a BatchEnd when >= BATCH_MIN_INTERVAL_S (0.5 s) of the writer's clock passed since the
# last one kept AND it is >= total steps // BATCH_POINTS_PER_RUN (here 1,000 // 500 = 2) steps after it. The
# writer reads its clock once per BatchEnd it is given; the run below gives it one per step (1,000 in all),
# so a clock step of s spans 1,000 * s simulated seconds. Steps are powers of two: the sums are exact.
WRITER_CAP_TABLE = [
    # (clock step per BatchEnd, BatchEnds kept; per simulated second that is kept / (1000 * step))
    (1.0, 500),  # 1 s apart: the time cap never binds, the step cap keeps every 2nd (0.5 a second)
    (1 / 4, 500),  # 2 BatchEnds = 0.5 s: every 2nd, both caps at once (2 a second)
    (1 / 8, 250),  # 4 = 0.5 s: every 4th (2 a second)
    (1 / 16, 125),  # 8 = 0.5 s: every 8th (2 a second: never more than 1 / BATCH_MIN_INTERVAL_S)
    (0.0, 1),  # a clock that never moves: only the first one
]


def test_batch_points_are_down_sampled(tmp_path, tiny_bundle):
    assert writer_module.BATCH_MIN_INTERVAL_S == 0.5 and writer_module.BATCH_POINTS_PER_RUN == 500
    exp = experiment((L("Linear"),), epochs=10, batch_size=4)  # 1,000 steps
    seen: list = []
    # the engine's clock moves 1 s a reading: a BatchEnd after every batch
    fit(
        exp,
        tiny_bundle((4,), 3, n_train=400),
        on_event=seen.append,
        should_stop=lambda: False,
        clock=SimulatedClock(step=1.0),
    )
    assert len([e for e in seen if isinstance(e, BatchEnd)]) == 1000
    for step, kept in WRITER_CAP_TABLE:  # the same events through writers whose clocks go at other speeds
        writer = RunWriter.create(tmp_path / str(step), exp, when=WHEN, clock=SimulatedClock(step=step))
        for event in seen:
            writer.on_event(event)
        written = [json.loads(x) for x in (writer.path / "events.jsonl").read_text().splitlines()]
        steps = [d["step"] for d in written if d["type"] == "BatchEnd"]
        assert len(steps) == kept, step
        assert 1 <= len(steps) <= 500  # at most ~500 per run
        if step:  # at most one per BATCH_MIN_INTERVAL_S of the writer's clock: 2 per simulated second
            assert len(steps) / (1000 * step) <= 1 / writer_module.BATCH_MIN_INTERVAL_S
            assert all(b - a >= max(2, 0.5 / step) for a, b in zip(steps, steps[1:])), step
        assert [d["type"] for d in written].count("EpochEnd") == 10
        assert written[0]["type"] == "RunStarted" and written[-1]["type"] == "RunEnded"


# ---------------------------------------------------------------- checkpoints


def _predictions(model, x):
    with torch.inference_mode():
        return model.eval()(x).argmax(1)


def test_checkpoints_load_weights_only_into_a_rebuilt_model(tmp_path, image_data):
    writer, end, _ = train_into(tmp_path, image_data, experiment(epochs=4, lr=0.2))
    best_epoch = max(end.history, key=lambda e: e.val_accuracy)
    for name, epoch in (("last.pt", end.history[-1]), ("best.pt", best_epoch)):
        doc = torch.load(writer.path / name, weights_only=True)  # plain PyTorch, no tui-trainer classes
        assert doc["epoch"] == epoch.epoch and doc["format"] == 1
        assert set(doc) >= {"model", "optimizer", "experiment", "epoch", "input_shape", "class_names"}
        exp = experiment_from_dict(doc["experiment"])
        model = build_model(exp.layers, tuple(doc["input_shape"]), len(doc["class_names"]))
        model.load_state_dict(doc["model"])
        predicted = _predictions(model, image_data.val_x)
        confusion = torch.zeros(3, 3, dtype=torch.long)
        confusion.index_put_((image_data.val_y, predicted), torch.ones_like(predicted), accumulate=True)
        assert tuple(map(tuple, confusion.tolist())) == epoch.report.confusion  # the very model of that epoch
        assert torch.equal(predicted, _predictions(load_model(writer.path / name), image_data.val_x))


def test_damaged_checkpoints_give_a_clear_error(tmp_path, image_data):
    writer, _, _ = train_into(tmp_path, image_data, experiment(epochs=1))
    last = writer.path / "last.pt"
    good = last.read_bytes()
    for damage, words in (
        (good[: len(good) // 2], "damaged or truncated"),
        (b"", "damaged or truncated"),
        (b"not a zip", "damaged or truncated"),
    ):
        last.write_bytes(damage)
        with pytest.raises(RunError, match=words):
            load_checkpoint(last)
    torch.save({"model": {}}, last)
    with pytest.raises(RunError, match="not a tui-trainer checkpoint"):
        load_checkpoint(last)
    doc = torch.load(writer.path / "best.pt", weights_only=True)
    torch.save({**doc, "format": 99}, last)
    with pytest.raises(RunError, match="newer tui-trainer"):
        load_checkpoint(last)
    with pytest.raises(RunError, match="no checkpoint"):
        load_checkpoint(tmp_path / "none.pt")


# ---------------------------------------------------------------- atomic writes and write failures


def test_a_failed_replace_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    run_files.atomic_write_text(target, '{"old": true}')

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        run_files.atomic_write_text(target, '{"new": true}')
    assert target.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary file left behind


def test_write_failures_never_stop_training(tmp_path, image_data, monkeypatch):
    """A write that fails for another reason than a full disk (tests/core/test_disk_damage.py) only stops the
    run directory being updated."""
    calls = []
    real = run_files.atomic_write

    def failing_after_a_while(path, write):
        calls.append(path.name)
        if len(calls) > 4:
            raise OSError(errno.EIO, "Input/output error")
        real(path, write)

    monkeypatch.setattr(writer_module, "atomic_write", failing_after_a_while)
    monkeypatch.setattr(
        writer_module, "atomic_write_text", lambda p, t: failing_after_a_while(p, lambda h: h.write(t.encode()))
    )
    writer, end, _ = train_into(tmp_path, image_data)
    assert end.status == "finished" and end.epochs_done == 3
    assert writer.problem and "Input/output error" in writer.problem and writer.failure is None
    json.loads((writer.path / "summary.json").read_text())  # what is there is whole


@pytest.mark.process
def test_kill_at_any_moment_leaves_whole_files(tmp_path):
    """SIGKILL a real training mid-run: every file parses, the run lists as interrupted and resumes."""
    runs = tmp_path / "runs"
    argv = [
        sys.executable,
        "-m",
        "tui_trainer",
        "train",
        "--dataset",
        "moons",
        "--preset",
        "mlp",
        "--set",
        "epochs=10000",
        "--set",
        "threads=1",
        "--set",
        "n_samples=200",
        "--runs-dir",
        str(runs),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    guard = threading.Timer(120, proc.kill)  # never hang the suite if the epoch line never comes
    guard.start()
    try:
        for line in proc.stdout:
            if line.split()[:2] == ["epoch", "6/10000"]:
                break
    finally:
        proc.kill()
        guard.cancel()
        proc.communicate(timeout=60)
    (run,) = list(runs.iterdir())
    summary = read_summary(run)
    epochs = read_epochs(run)
    state = load_checkpoint(run / "last.pt")
    assert summary["status"] == "running" and len(epochs) >= 5 and state.epoch >= 5
    docs, offset, skipped = read_new_lines(run / "events.jsonl")
    assert skipped == 0 and docs[0]["type"] == "RunStarted"
    (record,) = list_runs(runs)
    assert record.status == "interrupted" and record.problem is None and record.has_checkpoint

    assert main(["train", "--resume", str(run), "--set", f"epochs={state.epoch + 2}"]) == 0
    rows = read_epochs(run)
    assert [r.epoch for r in rows] == list(range(1, state.epoch + 3))
    assert read_summary(run)["status"] == "finished" and read_summary(run)["resumed"][0]["from_epoch"] == state.epoch
    replay = current_events(EventFollower(run).poll())
    assert [type(e) for e in replay].count(RunStarted) == 1 and replay[0].start_epoch == 1
    assert [e.epoch for e in replay if isinstance(e, EpochEnd)] == [r.epoch for r in rows]
    assert isinstance(replay[-1], RunEnded) and replay[-1].status == "finished"


# ---------------------------------------------------------------- listing damaged runs


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def test_damaged_runs_are_listed_with_a_problem(tmp_path, image_data):
    root = tmp_path / "runs"
    good, _, _ = train_into(root, image_data, experiment(epochs=1))
    bad = {}
    bad["summary"] = _copy(good.path, root / "b1")
    (bad["summary"] / "summary.json").write_text('{"status": "fini')
    bad["toml"] = _copy(good.path, root / "b2")
    (bad["toml"] / "experiment.toml").write_text("[train\nlr = ")
    bad["csv"] = _copy(good.path, root / "b3")
    (bad["csv"] / "metrics.csv").write_text(
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds\n1,0.5,oops\n"
    )
    bad["newer"] = _copy(good.path, root / "b4")
    doc = json.loads((bad["newer"] / "summary.json").read_text())
    (bad["newer"] / "summary.json").write_text(json.dumps({**doc, "format": 7}))
    bad["binary"] = _copy(good.path, root / "b5")
    (bad["binary"] / "summary.json").write_bytes(b"\xff\xfe\x00")
    (bad["binary"] / "experiment.toml").unlink()
    (root / "not-a-run").mkdir()
    (root / "notes.txt").write_text("hello")
    (root / ".hidden").mkdir()
    before = sorted(str(p) for p in root.rglob("*"))

    records = {r.path.name: r for r in list_runs(root)}
    assert sorted(records) == sorted([good.path.name, "b1", "b2", "b3", "b4", "b5"])
    assert records[good.path.name].problem is None and records[good.path.name].status == "finished"
    assert "summary.json is damaged" in records["b1"].problem and records["b1"].status == "unreadable"
    assert records["b1"].experiment is not None and records["b1"].epochs_done == 1  # the rest still reads
    assert "not valid TOML" in records["b2"].problem and records["b2"].experiment is None
    assert records["b2"].status == "finished"
    assert "metrics.csv is damaged at line 2" in records["b3"].problem
    assert "newer tui-trainer" in records["b4"].problem and records["b4"].experiment is None
    assert "summary.json is damaged" in records["b5"].problem and "experiment.toml" in records["b5"].problem
    assert sorted(str(p) for p in root.rglob("*")) == before  # nothing deleted or changed


def test_roots_that_cannot_be_listed(tmp_path, monkeypatch):
    assert list_runs(tmp_path / "missing") == [] and "no runs yet" in listing_problem(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    assert list_runs(tmp_path / "file") == [] and "not a folder" in listing_problem(tmp_path / "file")

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", denied)
    assert list_runs(tmp_path) == [] and "Permission denied" in listing_problem(tmp_path)


def test_unwritable_runs_root(tmp_path, capsys, monkeypatch):
    (tmp_path / "taken").write_text("a file where the runs folder should be")
    assert "is a file" in root_problem(tmp_path / "taken")
    argv = ["train", "--dataset", "moons", "--preset", "mlp", "--set", "epochs=1", "--set", "threads=1"]
    assert main([*argv, "--runs-dir", str(tmp_path / "taken")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "--runs-dir" in err

    def no_temp(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(run_files.tempfile, "mkstemp", no_temp)
    assert main([*argv, "--runs-dir", str(tmp_path / "locked")]) == 2
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        f"error: cannot write in the runs folder {tmp_path / 'locked'}: Permission "
        "denied (choose another with --runs-dir, or --no-save)"
    ]
    monkeypatch.undo()
    assert main([*argv, "--no-save", "--runs-dir", str(tmp_path / "taken")]) == 0  # --no-save writes nothing


def test_runs_command(tmp_path, capsys, image_data):
    root = tmp_path / "runs"
    assert main(["runs", "--runs-dir", str(root)]) == 0
    assert "no runs yet" in capsys.readouterr().out
    good, end, _ = train_into(root, image_data, experiment(epochs=2))
    (_copy(good.path, root / "broken") / "summary.json").write_text("{")
    assert main(["runs", "--runs-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "2026-11-26 12:03" in out and "lenet-ish" in out and "finished" in out and "2/2" in out
    assert f"{end.best_val_accuracy:.2%}" in out
    assert "problem: broken: " in out and "summary.json is damaged" in out
    assert main(["runs", "--runs-dir", str(root), "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert {d["status"] for d in docs} == {"finished", "unreadable"} and all(d["resumable"] for d in docs)


# ---------------------------------------------------------------- following events.jsonl


def test_read_new_lines_keeps_a_half_written_line_for_later(tmp_path):
    path = tmp_path / "events.jsonl"
    assert read_new_lines(path) == ([], 0, 0)
    path.write_text('{"type": "RunPhase", "message": "a"}\n{"type": "Run')
    docs, offset, skipped = read_new_lines(path)
    assert docs == [{"type": "RunPhase", "message": "a"}] and skipped == 0
    assert read_new_lines(path, offset) == ([], offset, 0)
    with path.open("a") as fh:
        fh.write('Phase", "message": "b"}\nnot json\n[1]\n')
    docs, offset2, skipped = read_new_lines(path, offset)
    assert docs == [{"type": "RunPhase", "message": "b"}] and skipped == 2 and offset2 == path.stat().st_size
    path.write_text('{"x": 1}\n')  # replaced by a shorter file: read from the start
    assert read_new_lines(path, offset2)[0] == [{"x": 1}]


def test_a_follower_sees_a_run_another_thread_writes(tmp_path, image_data, monkeypatch):
    """The training thread waits at epochs 3 and 5 until the follower has seen that EpochEnd: at least
    two polls find events while the run is still going, whatever the speed of either thread."""
    monkeypatch.setattr(writer_module, "BATCH_MIN_INTERVAL_S", 0.0)
    exp = experiment(epochs=6)
    writer = RunWriter.create(tmp_path, exp, when=WHEN)
    emitted = []
    gates = {3: threading.Event(), 5: threading.Event()}

    def sink(event) -> None:  # called after the writer wrote the event
        emitted.append(event)
        if isinstance(event, EpochEnd) and event.epoch in gates:
            assert gates[event.epoch].wait(60), f"the follower never saw epoch {event.epoch}"

    thread = threading.Thread(
        target=lambda: fit(
            exp,
            image_data,
            on_event=writer.wrap(sink),
            should_stop=lambda: False,
            checkpoint=writer.checkpoint,
        )
    )
    follower = EventFollower(writer.path)
    followed = []
    thread.start()
    polls = 0
    while thread.is_alive():
        new = follower.poll()
        followed += new
        polls += 1
        for event in new:
            if isinstance(event, EpochEnd) and event.epoch in gates:
                gates[event.epoch].set()
        thread.join(0.002)
    followed += follower.poll()
    assert all(gate.is_set() for gate in gates.values())  # seen while the run was going
    assert follower.ended and follower.skipped == 0 and polls > 1
    assert isinstance(followed[0], RunStarted) and followed[0] == emitted[0]
    assert [e for e in followed if isinstance(e, EpochEnd)] == [e for e in emitted if isinstance(e, EpochEnd)]
    end = followed[-1]
    assert isinstance(end, RunEnded) and end.status == "finished" and end.test_report == emitted[-1].test_report
    assert end.history == ()  # the EpochEnds carry the history


@pytest.mark.process
def test_listing_runs_and_exporting_do_not_import_torch(tmp_path, image_data):
    """The app lists runs (checking their checkpoints and event logs) and shows exported code before torch has
    loaded (it takes seconds)."""
    writer, _, _ = train_into(tmp_path, image_data, experiment(epochs=1))
    damaged = _copy(writer.path, tmp_path / "damaged")
    (damaged / "best.pt").write_bytes((damaged / "best.pt").read_bytes()[:-10])
    code = (
        "import sys\n"
        "from tui_trainer.core.runs import list_runs, read_epochs, EventFollower\n"
        "from tui_trainer.core.export import export_script, load_source\n"
        f"records = {{r.name: r for r in list_runs({str(tmp_path)!r})}}\n"
        f"record = records[{writer.path.name!r}]\n"
        "assert 'best.pt is damaged' in records['damaged'].problem\n"
        "assert record.status == 'finished' and read_epochs(record.path) and EventFollower(record.path).poll()\n"
        "assert 'nn.Linear' in export_script(load_source('lenet5'))\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_delete_run_removes_only_run_directories(tmp_path) -> None:
    """delete_run removes a run folder and refuses anything that is not clearly one."""
    from tui_trainer.core.runs import RunError, delete_run

    run = tmp_path / "2026-01-01_00-00-00_mlp_moons"
    run.mkdir()
    (run / "experiment.toml").write_text("name = 'mlp'\n")
    (run / "summary.json").write_text("{}")
    delete_run(run)
    assert not run.exists()

    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me")
    with pytest.raises(RunError, match="nothing deleted"):
        delete_run(other)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "experiment.toml").write_text("")
    (mixed / "thesis.tex").write_text("keep me")
    with pytest.raises(RunError, match="thesis.tex"):
        delete_run(mixed)
    link = tmp_path / "link"
    link.symlink_to(mixed)
    with pytest.raises(RunError):
        delete_run(link)
    assert (mixed / "thesis.tex").exists() and (other / "todo.txt").exists()


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_run_files_respect_the_umask(tmp_path, umask):
    """Run files get what the user's umask gives a new file (a shared server's group may read them)."""
    import os
    import stat

    from tui_trainer.core.runs.files import atomic_write_text

    previous = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "summary.json", "{}")
        atomic_write_text(tmp_path / "summary.json", "{}")  # replaced: still the umask's mode
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "summary.json").stat().st_mode) == 0o666 & ~umask
