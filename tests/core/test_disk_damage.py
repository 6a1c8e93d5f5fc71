"""Full disks and damaged run files: a full disk fails the run and keeps its last whole checkpoint; damaged
checkpoints and event logs are listed with a problem; resuming cuts off a half-written last event line."""

from __future__ import annotations

import dataclasses
import errno
import io
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import MLP, L
from helpers import experiment as base_experiment

from tui_trainer.cli import main
from tui_trainer.core.runs import RunError, integrity, list_runs, load_checkpoint, read_epochs, read_summary
from tui_trainer.core.runs import files as run_files
from tui_trainer.core.runs import writer as writer_module
from tui_trainer.core.runs.lock import RunLock, is_locked
from tui_trainer.core.spec.experiment import save

ARGS = ["--dataset", "moons", "--preset", "mlp", "--set", "threads=1", "--set", "n_samples=200"]
DISK_FULL = {errno.ENOSPC: "No space left on device", errno.EDQUOT: "Disk quota exceeded"}


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in tmp_path: run directories are named as the user typed them (runs/<name>)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path / "user-presets"))


class FillingDisk:
    """The run directory's disk as it fills up: the `nth` write of `name` (and with stays_full every write after
    it) writes half of its bytes, then fails with `code` (ENOSPC or EDQUOT), as a real write does.

    It replaces what the writer writes through: atomic_write (the temporary file of each whole-file write) and
    write_all (the appends to events.jsonl), so the real cleanup of both runs.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str, nth: int, code: int, stays_full: bool) -> None:
        self.name, self.nth, self.code, self.stays_full = name, nth, code, stays_full
        self.writes = 0
        self.full = False
        self.before: dict[str, bytes] = {}
        """The bytes of each file of `name` just before the disk filled up."""
        self._atomic_write, self._write_all = run_files.atomic_write, writer_module.write_all
        monkeypatch.setattr(writer_module, "atomic_write", self.atomic_write)
        monkeypatch.setattr(writer_module, "atomic_write_text", self.atomic_write_text)
        monkeypatch.setattr(writer_module, "write_all", self.write_all)

    def _fails(self, name: str) -> bool:
        if name == self.name and not self.full:
            self.writes += 1
            self.full = self.writes == self.nth
        return self.full and (self.stays_full or name == self.name)

    def _error(self) -> OSError:
        if not self.stays_full:
            self.full = False  # the one write that did not fit
        return OSError(self.code, DISK_FULL[self.code])

    def atomic_write(self, path: Path, write) -> None:
        if not self._fails(path.name):
            return self._atomic_write(path, write)
        self.before[path.name] = path.read_bytes() if path.exists() else b""
        buffer = io.BytesIO()
        write(buffer)
        error = self._error()

        def half_then_full(handle) -> None:
            handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
            handle.flush()
            raise error

        self._atomic_write(path, half_then_full)

    def atomic_write_text(self, path: Path, text: str) -> None:
        self.atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))

    def write_all(self, fd: int, data: bytes) -> None:
        if not (self.full and self.stays_full):
            return self._write_all(fd, data)
        os.write(fd, data[: len(data) // 2])
        raise self._error()


def _train(capsys, *settings: str) -> tuple[int, list[str], str, Path]:
    """`tui-trainer train` on moons with the MLP into ./runs; (exit status, stderr lines, stdout, run directory)."""
    argv = ["train", *ARGS, "--runs-dir", "runs"]
    for setting in settings:
        argv += ["--set", setting]
    status = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    (run,) = Path("runs").iterdir()
    return status, err.strip().splitlines(), out, run


def _temporary_files(run: Path) -> list[str]:
    return [p.name for p in run.iterdir() if p.name.startswith(run_files.TEMP_PREFIX)]


def _every_line_is_an_event(path: Path) -> list[dict]:
    """The events of a log, asserting each line is a whole JSON event with its newline."""
    data = path.read_bytes()
    assert data.endswith(b"\n")
    docs = [json.loads(line) for line in data.splitlines()]
    assert all(isinstance(d, dict) and "type" in d for d in docs)
    return docs


# ---------------------------------------------------------------- a full disk


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT], ids=["ENOSPC", "EDQUOT"])
def test_a_full_disk_fails_the_run_and_keeps_the_last_whole_checkpoint(capsys, monkeypatch, code):
    with monkeypatch.context() as patches:
        disk = FillingDisk(patches, "last.pt", nth=3, code=code, stays_full=False)
        status, err, _, run = _train(capsys, "epochs=5")
    reason = f"the disk is full: cannot write {run / 'last.pt'}"
    assert status == 1
    assert err == [
        f"error: {reason} (free some space, then resume the run from its last checkpoint "
        f"(tui-trainer train --resume {run}, or R on the Runs tab))"
    ]
    summary = read_summary(run)
    assert summary["status"] == "failed" and summary["reason"] == reason and summary["epochs_done"] == 3
    assert (run / "last.pt").read_bytes() == disk.before["last.pt"]  # the previous one, untouched
    assert load_checkpoint(run / "last.pt").epoch == 2 and load_checkpoint(run / "best.pt").epoch <= 2
    assert _temporary_files(run) == []
    events = _every_line_is_an_event(run / "events.jsonl")
    assert events[-1]["type"] == "RunEnded" and events[-1]["status"] == "failed" and events[-1]["reason"] == reason
    (record,) = list_runs("runs")
    assert record.status == "failed" and record.reason == reason and record.problem is None and record.has_checkpoint

    # space again: the run continues from its last whole checkpoint
    assert main(["train", "--resume", str(run), "--set", "epochs=5"]) == 0
    assert [r.epoch for r in read_epochs(run)] == [1, 2, 3, 4, 5] and read_summary(run)["status"] == "finished"


def test_a_disk_that_stays_full_never_leaves_the_run_listed_as_running(capsys, monkeypatch):
    """After the checkpoint, the end's event line and summary.json do not fit either: the files stay whole,
    the lock is given back, and the listing calls the run interrupted (its summary still says running)."""
    FillingDisk(monkeypatch, "last.pt", nth=2, code=errno.ENOSPC, stays_full=True)
    status, err, _, run = _train(capsys, "epochs=4")
    assert status == 1 and len(err) == 1
    assert err[0].startswith(f"error: the disk is full: cannot write {run / 'last.pt'} (free some space")
    assert read_summary(run)["status"] == "running" and read_summary(run)["epochs_done"] == 2  # epoch 2's, whole
    assert is_locked(run) is False
    (record,) = list_runs("runs")
    assert record.status == "interrupted" and record.problem is None and record.has_checkpoint
    events = _every_line_is_an_event(run / "events.jsonl")  # the half of the RunEnded line was cut back off
    assert events[-1]["type"] == "EpochEnd" and events[-1]["epoch"] == 2
    assert load_checkpoint(run / "last.pt").epoch == 1 and _temporary_files(run) == []


def test_a_full_disk_while_the_run_starts_fails_it_too(capsys, monkeypatch):
    """The RunStarted line does not fit (the run directory's first append): the run fails before its first epoch."""
    monkeypatch.setattr(writer_module, "write_all", _full_for(writer_module.write_all, appends=0))
    status, err, _, run = _train(capsys, "epochs=2")
    assert status == 1
    assert err == [
        f"error: the disk is full: cannot write {run / 'events.jsonl'} "
        "(free some space (or choose another runs folder), then train again)"
    ]
    assert not (run / "last.pt").exists() and is_locked(run) is False
    assert (run / "events.jsonl").read_bytes() == b""  # what was half-written is cut back off
    summary = read_summary(run)
    assert (
        summary["status"] == "failed" and summary["reason"] == f"the disk is full: cannot write {run / 'events.jsonl'}"
    )


def _full_for(write_all, appends: int):
    """write_all that fails with ENOSPC, after half of its bytes, from its (appends + 1)th call on."""
    calls = {"n": 0}

    def full(fd: int, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] <= appends:
            return write_all(fd, data)
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    return full


def test_resuming_on_a_full_disk_is_one_error_line(capsys, monkeypatch):
    from tui_trainer.core.runs import lock as lock_module

    assert main(["train", *ARGS, "--set", "epochs=2", "--runs-dir", "runs"]) == 0
    (run,) = Path("runs").iterdir()
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.name != "train.lock"}
    real_write = os.write

    def full_for_the_lock(fd: int, data) -> int:
        if bytes(data).startswith(b'{"pid"'):  # the lock's holder, written as the lock is taken
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    def no_space(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lock_module.os, "write", full_for_the_lock)
    monkeypatch.setattr(writer_module, "atomic_write_text", no_space)
    assert main(["train", "--resume", str(run), "--set", "epochs=4"]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"error: cannot write in the run directory {run}: No space left on device"], err
    assert "Traceback" not in out
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.name != "train.lock"} == before  # nothing changed
    assert is_locked(run) is False


def _mount_tmpfs(folder: Path, size: str) -> bool:
    """Mount a tmpfs of `size` on folder (needs root and permission to mount); False when that is not allowed."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return False
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    except OSError:
        return False
    return done.returncode == 0


def test_a_really_full_disk(tmp_path, capsys):
    """On a 2 MiB tmpfs, two checkpoints of 0.8 MB fit and the third (epoch 2's last.pt, before it replaces the
    old one) does not. Skipped where mounting is not permitted; the FillingDisk tests above are the ones CI
    relies on."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "2m"):
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        wide = (L("Flatten"), L("Linear", {"out_features": 20_000}), L("ReLU"), L("Linear"))  # 100,002 weights
        experiment = base_experiment(wide, dataset="moons", data={"n_samples": 200}, epochs=3, lr=0.001)
        save(experiment, tmp_path / "wide.toml")
        status = main(["train", "--config", "wide.toml", "--runs-dir", "disk"])
        out, err = capsys.readouterr()
        (run,) = Path("disk").iterdir()
        reason = f"the disk is full: cannot write {run / 'last.pt'}"
        assert status == 1 and err.strip().splitlines()[0].startswith(f"error: {reason} (free some space"), err
        assert read_summary(run)["status"] == "failed" and read_summary(run)["reason"] == reason
        assert load_checkpoint(run / "last.pt").epoch == 1 and _temporary_files(run) == []
        _every_line_is_an_event(run / "events.jsonl")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


# ---------------------------------------------------------------- damaged files are listed


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def _not_torch(path: Path) -> None:
    """A zip archive that torch.save did not write."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    path.write_bytes(buffer.getvalue())


def test_damaged_checkpoints_and_event_logs_are_listed_with_a_problem(capsys):
    assert main(["train", *ARGS, "--set", "epochs=2", "--runs-dir", "runs"]) == 0
    (good,) = Path("runs").iterdir()
    capsys.readouterr()
    last, events = (good / "last.pt").read_bytes(), (good / "events.jsonl").read_bytes()
    lines = events.splitlines(keepends=True)
    damage = {
        "truncated-last": ("last.pt", last[: len(last) // 2]),
        "empty-best": ("best.pt", b""),
        "zip-last": ("last.pt", None),
        "garbage-events": ("events.jsonl", b"".join([*lines[:2], b"\x00\x00\x00\n", *lines[2:], b"oops\n"])),
        "half-line": ("events.jsonl", events + lines[-1][: len(lines[-1]) // 2]),
    }
    for name, (file, data) in damage.items():
        copy = _copy(good, Path("runs") / name)
        _not_torch(copy / file) if data is None else (copy / file).write_bytes(data)

    records = {r.name: r for r in list_runs("runs")}
    assert records[good.name].problem is None and records[good.name].has_checkpoint
    for name in ("truncated-last", "empty-best", "zip-last"):
        file = damage[name][0]
        assert records[name].problem == (
            f"the checkpoint runs/{name}/{file} is damaged or truncated and cannot be read "
            f"({'a zip archive, but not one torch.save wrote' if name == 'zip-last' else 'not a whole zip archive'})"
        )
        with pytest.raises(RunError, match="damaged or truncated"):  # the cheap check agrees with torch
            load_checkpoint(Path("runs") / name / file)
    assert not records["truncated-last"].has_checkpoint and records["empty-best"].has_checkpoint
    assert records["garbage-events"].problem == (
        "runs/garbage-events/events.jsonl is damaged: line 3 and 1 more are not events (replays skip them)"
    )
    cut = len(lines[-1]) // 2
    assert records["half-line"].problem == (
        f"runs/half-line/events.jsonl ends with a half-written line ({cut} bytes, never a whole event): "
        "resuming the run cuts it off"
    )
    assert main(["runs", "--runs-dir", "runs"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert sorted(line.split(":")[1].strip() for line in out if line.startswith("problem:")) == sorted(damage)

    held = RunLock.acquire(Path("runs") / "half-line")  # being trained now: its last line is still being written
    summary = read_summary(Path("runs") / "half-line")
    (Path("runs") / "half-line" / "summary.json").write_text(json.dumps({**summary, "status": "running"}))
    try:
        records = {r.name: r for r in list_runs("runs")}
        assert records["half-line"].status == "running" and records["half-line"].problem is None
    finally:
        held.release()


def test_a_long_event_log_is_parsed_only_at_its_end(tmp_path, monkeypatch):
    """The last PARSED_LINES lines are parsed; earlier ones must look like one JSON object each."""
    monkeypatch.setattr(integrity, "PARSED_LINES", 2)
    path = tmp_path / "events.jsonl"
    event = b'{"type":"RunPhase","message":"a"}\n'
    path.write_bytes(event * 3 + b"\x00\x00\x00\n" + event * 3)
    assert integrity.events_problem(path, being_written=False) == (
        f"{path} is damaged: line 4 is not an event (replays skip it)"
    )
    path.write_bytes(event * 3 + b'{"no type": 1}\n' + event)
    assert "line 4 is not an event" in integrity.events_problem(path, being_written=False)
    path.write_bytes(event * 3 + b'{"no type": 1}\n' + event * 2)  # early: it looks like an object
    assert integrity.events_problem(path, being_written=False) is None


def test_a_checkpoint_damaged_inside_is_caught_by_its_checksum(tmp_path):
    import torch

    path = tmp_path / "last.pt"
    torch.save({"kind": "tui-trainer checkpoint", "weights": torch.zeros(8)}, path)
    assert integrity.checkpoint_problem(path) is None
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        entry = archive.getinfo(next(n for n in archive.namelist() if n.endswith("/data.pkl")))
    name_length, extra_length = struct.unpack("<HH", data[entry.header_offset + 26 : entry.header_offset + 30])
    data[entry.header_offset + 30 + name_length + extra_length + 5] ^= 0xFF  # a byte of the pickle itself
    path.write_bytes(bytes(data))
    assert "Bad CRC-32" in integrity.checkpoint_problem(path)
    assert integrity.checkpoint_problem(tmp_path / "missing.pt") is None
    assert integrity.checkpoint_problem(tmp_path) == f"{tmp_path} is a folder, not a checkpoint"


# ---------------------------------------------------------------- resume repairs a half-written line


def test_resume_cuts_off_a_half_written_last_event_line(capsys):
    assert main(["train", *ARGS, "--set", "epochs=2", "--runs-dir", "runs"]) == 0
    (run,) = Path("runs").iterdir()
    capsys.readouterr()
    whole = (run / "events.jsonl").read_bytes()
    last_line = whole.splitlines(keepends=True)[-1]
    kept = whole[: len(whole) - len(last_line)]
    half = last_line[: len(last_line) // 2]  # the RunEnded line, half-written when the process died
    (run / "events.jsonl").write_bytes(kept + half)

    assert main(["train", "--resume", str(run), "--set", "epochs=4"]) == 0
    out = capsys.readouterr().out.splitlines()
    note = (
        f"note: {run / 'events.jsonl'} ended with a half-written line ({len(half)} bytes, never a whole event): "
        "cut it off before resuming"
    )
    assert out[0].startswith("training mlp on moons from epoch 3:") and note in out
    after = (run / "events.jsonl").read_bytes()
    assert after.startswith(kept) and not after.startswith(kept + half)  # the rest byte-identical
    docs = _every_line_is_an_event(run / "events.jsonl")
    resumed = docs[len(kept.splitlines()) :]
    assert [d["type"] for d in resumed[:2]] == ["RunStarted", "RunPhase"] and resumed[1]["message"] == note
    assert read_summary(run)["resumed"][0]["repaired"] == note
    (record,) = list_runs("runs")
    assert record.problem is None and record.status == "finished"

    assert main(["train", *ARGS, "--set", "epochs=4", "--runs-dir", "fresh"]) == 0  # the same as 4 epochs at once
    (fresh,) = Path("fresh").iterdir()
    strip = lambda rows: [dataclasses.replace(r, seconds=0.0) for r in rows]  # noqa: E731
    assert strip(read_epochs(run)) == strip(read_epochs(fresh))


@pytest.mark.parametrize(
    ("content", "kept"),
    [
        (b'{"a":1}\n{"b":2}\n', b'{"a":1}\n{"b":2}\n'),
        (b'{"a":1}\n{"b":', b'{"a":1}\n'),
        (b'{"no newline at all', b""),
        (b"", b""),
        (b'{"a":1}\n' + b"x" * 50, b'{"a":1}\n'),
    ],
    ids=["whole", "half-line", "only-a-half-line", "empty", "long-half-line"],
)
def test_cut_partial_line(tmp_path, monkeypatch, content, kept):
    monkeypatch.setattr(integrity, "TAIL_CHUNK", 7)  # the search backwards crosses chunks
    path = tmp_path / "events.jsonl"
    path.write_bytes(content)
    assert integrity.cut_partial_line(path) == len(content) - len(kept)
    assert path.read_bytes() == kept
    assert integrity.cut_partial_line(tmp_path / "missing.jsonl") == 0


def test_a_writer_passes_its_notes_on_after_the_run_started(tmp_path, tiny_bundle):
    """The RunStarted first, then each note (the CLI prints notes only once training started)."""
    from tui_trainer.core.runs import RunWriter
    from tui_trainer.core.training.engine import fit

    experiment = base_experiment(MLP, epochs=1)
    writer = RunWriter.create(tmp_path, experiment)
    writer.notes.append("note: hello")
    seen = []
    fit(experiment, tiny_bundle(), on_event=writer.wrap(seen.append), should_stop=lambda: False)
    assert type(seen[0]).__name__ == "RunStarted" and seen[1].message == "note: hello"
    assert json.loads((writer.path / "events.jsonl").read_text().splitlines()[1])["message"] == "note: hello"
