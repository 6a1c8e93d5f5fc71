"""Inspections cross from where training runs: live ones after each epoch, saved runs' on request (child and thread)."""

from __future__ import annotations

import os

import pytest
from helpers import CNN, experiment

from tui_trainer.core.analysis.saved import inspect_run
from tui_trainer.core.backend.process import ProcessBackend
from tui_trainer.core.backend.thread import ThreadBackend
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.events import RunEnded
from tui_trainer.core.spec.inspection import Inspection


def _train(backend, req: RunRequest) -> list:
    handle = backend.start(req)
    events = handle.events()
    try:
        seen = list(events)
    finally:
        events.close()
    assert isinstance(seen[-1], RunEnded) and seen[-1].status == "finished", seen[-1]
    return seen


def _same(a: Inspection, b: Inspection) -> None:
    assert a.confusion == b.confusion and a.source == b.source
    assert [(s.index, s.pred, s.pixels) for s in a.samples] == [(s.index, s.pred, s.pixels) for s in b.samples]
    assert [s.loss for s in a.samples] == pytest.approx([s.loss for s in b.samples], rel=1e-5)
    assert a.layers.weights == b.layers.weights and a.layers.sample == b.layers.sample


@pytest.mark.process
@pytest.mark.skipif(os.name != "posix", reason="the training process needs POSIX")
def test_the_child_sends_live_inspections_and_inspects_saved_runs(tmp_path):
    backend = ProcessBackend(threads=1)
    try:
        exp = experiment(CNN, dataset="digits", epochs=1, batch_size=64)
        seen = _train(backend, RunRequest(exp, runs_dir=str(tmp_path), inspect=True))
        live = [e for e in seen if isinstance(e, Inspection)]
        assert len(live) == 1 and live[0].layers is not None
        (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
        there = backend.inspect(str(run_dir), "last", sample=3)
        assert isinstance(there, Inspection)
        _same(there, inspect_run(run_dir, "last", sample=3))
        assert [s.index for s in there.wrong()] == [s.index for s in live[0].wrong()]
        assert "there is no run directory" in backend.inspect(str(tmp_path / "nope"))
    finally:
        backend.close()


def test_the_thread_backend_inspects_saved_runs_too(tmp_path):
    backend = ThreadBackend()
    try:
        exp = experiment(CNN, dataset="digits", epochs=1, batch_size=64)
        seen = _train(backend, RunRequest(exp, runs_dir=str(tmp_path), inspect=True))
        assert len([e for e in seen if isinstance(e, Inspection)]) == 1
        (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
        _same(backend.inspect(str(run_dir), "best"), inspect_run(run_dir, "best"))
    finally:
        backend.close()
