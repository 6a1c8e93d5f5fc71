#!/usr/bin/env python
"""tui-trainer soak benchmark: does the app's memory stay flat over hundreds of runs and one long run?

    python benchmarks/soak.py [--quick] [--runs N] [--epochs-long N] [--json FILE] [--tracemalloc N]

The real TrainerApp, headless (run_test(size=(100, 30))) and driven with its pilot, trains in its
real training process (open_backend(), the app's default). It trains N short runs (default 200,
2 epochs of the mlp preset on digits, each saved in a temporary runs folder), mixing retrains (r on
the Train tab, some of them while a run trains), overlays of saved runs and listings (Runs tab),
and tab switches (keys 1..6); then ONE long run of many small epochs (default 10,000: iris, one
batch per epoch, not saved) that the dashboard follows. Throughout it samples the resident memory
of the UI process (this one) and of the training process (ProcessBackend.pid), and the points kept
per plot. Every step waits for a condition (the run's end drawn, a listing shown), never a fixed
time. At the end the UI process must not have imported torch.

Targets (issue: memory over a long session): after the warm-up runs (15 % of them, at least 10:
measured here, the UI grows fastest during the first ~30 runs) the UI grows < 10 MB over the
short runs and stays flat (< 5 MB) over the long run after its first tenth; the training process's
memory is bounded by the run (it grows < 10 MB over the short runs); the points kept per plot stay
bounded whatever the number of epochs (no curve over CURVE_POINTS_BOUND). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a clean checkout runs without installing

MB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")
SHORT_DATASET, SHORT_PRESET, SHORT_EPOCHS = "digits", "mlp", 2
"""A short run: 1,437 8x8 digits, 45 batches of 32 an epoch, 10 classes (a full confusion matrix)."""
LONG_DATASET, LONG_BATCH = "iris", 512
"""The long run: 120 training flowers in one batch, so an epoch takes about a millisecond."""
SAMPLE_S = 0.5
"""How often the short runs are sampled, besides after each run (sampling only: every step waits on a
condition)."""
LONG_SAMPLE_S = 0.1
"""How often the long run is sampled (its 500 quick epochs take about a second)."""
STOPPED_EPOCHS = 50
"""The run that r stops (every tenth short run): long enough to be still training when r comes."""
WAIT_S = 300.0
"""A hang guard for every wait; a soak never depends on how long a step takes."""
CURVE_POINTS_BOUND = 300
"""Most points one curve of a plot may hold for the target (what ui/widgets/curves.py thins to)."""
TARGETS_MB = {"ui_runs_growth": 10.0, "ui_long_growth": 5.0, "child_runs_growth": 10.0}


def log(text: str) -> None:
    """A progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def rss_bytes(pid: int | None = None) -> int | None:
    """Resident set size of a process (this one when pid is None) from /proc/PID/statm; None if gone."""
    try:
        with open(f"/proc/{pid or 'self'}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return None


@dataclass(slots=True)
class Sample:
    """One reading: when, in which phase, both processes' memory, and the points the plots keep (small:
    the soak's own samples are in the memory it measures)."""

    phase: str
    t: float
    run: int
    ui_rss: int
    child_rss: int | None
    child_pid: int | None
    plot_points: int
    """The most points one plot keeps (all its curves together)."""
    curve_points: int
    """The most points one curve keeps."""
    epochs_done: int
    """Epochs of the current run drawn so far."""
    points: dict[str, int] | None = None
    """With --json-samples: points per plot."""
    kept: dict[str, int] | None = None
    """With --json-samples: what the UI keeps (kept_counts)."""


def plot_points(app: Any) -> dict[str, int]:
    """Points each Train-tab plot keeps (CurvePlot._curves, all its curves: what a redraw plots), and
    under "curve" the most that one curve of them keeps."""
    from tui_trainer.ui.widgets.curves import CurvePlot

    plots = list(app.query(CurvePlot))
    points = {plot.id: sum(len(c.xs) for c in plot._curves) for plot in plots}
    points["curve"] = max((len(c.xs) for plot in plots for c in plot._curves), default=0)
    return points


def kept_counts(app: Any) -> dict[str, int]:
    """What the UI keeps that could grow with the session (for finding a cause)."""
    from textual.widgets import DataTable

    from tui_trainer.ui.tabs.runs import RunsPane
    from tui_trainer.ui.tabs.train import TrainPane

    pane = app.query_one(TrainPane)
    current = pane.current
    return {
        "session_runs": len(pane.runs),
        "session_epochs_kept": sum(len(r.epochs) for r in pane.runs),
        "current_epochs_done": current.epochs_done if current else 0,
        "current_epochs_kept": len(current.epochs) if current else 0,
        "current_batch_points": len(current.batch_loss.xs) if current else 0,
        "overlays": len(app.runs.overlays),
        "train_table_rows": pane.query_one("#session-runs", DataTable).row_count,
        "runs_tab_rows": app.query_one(RunsPane).query_one("#runs-list", DataTable).row_count,
        "notifications": len(app._notifications),
        "app_queue": app._message_queue.qsize(),
        "pane_queue": pane._message_queue.qsize(),
        "workers": len(app.workers),
        "gc_objects": len(gc.get_objects()),
        "gc_frozen": gc.get_freeze_count(),
    }


class Soak:
    """Drives the app through the short runs and the long run, sampling as it goes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.samples: list[Sample] = []
        self.phase = "start"
        self.run_no = 0
        self.overlay_order: list[str] = []
        self.diagnosis: dict[str, list[str]] = {}
        """--tracemalloc and --types: what grew in each phase."""
        self._snapshot: tracemalloc.Snapshot | None = None
        self._types: Counter | None = None
        self.torch_in_ui: bool | None = None
        self.long_epochs_done = 0
        self.long_seconds = 0.0
        self.runs_seconds = 0.0
        self.statuses: dict[str, int] = {}
        """How the app's runs ended: the short runs (r while one trains stops it), then the long one."""
        self.most_points: dict[str, dict[str, int]] = {}
        """Per phase: the most points each plot kept."""
        self.last_kept: dict[str, dict[str, int]] = {}
        """Per phase: what the UI kept (kept_counts) at its last sample."""
        self.last_points: dict[str, int] = {}
        self.settle_ms: list[float] = []
        """How long each app.settle_memory() took (after start-up and at every run start)."""

    # ------------------------------------------------------------ helpers

    def sample(self, app: Any) -> Sample:
        """Read both processes' memory and the plots' points now."""
        pid = app.backend.pid
        points, kept = plot_points(app), kept_counts(app)
        curve = points.pop("curve")
        s = Sample(
            self.phase,
            round(time.monotonic() - self.t0, 2),
            self.run_no,
            rss_bytes() or 0,
            rss_bytes(pid) if pid else None,
            pid,
            max(points.values(), default=0),
            curve,
            kept["current_epochs_done"],
        )
        if self.args.json_samples:
            s.points, s.kept = points, kept
        self.samples.append(s)
        most = self.most_points.setdefault(self.phase, {})
        for plot, n in points.items():
            most[plot] = max(most.get(plot, 0), n)
        self.last_kept[self.phase] = kept
        self.last_points = points
        return s

    async def until(self, pilot: Any, condition: Any, what: str, timeout: float = WAIT_S) -> None:
        """Let the app run until condition() is true (the timeout is a hang guard only)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: not reached within {timeout:.0f} s")
            await pilot.pause()

    async def sampler(self, app: Any) -> None:
        """Sample every SAMPLE_S (LONG_SAMPLE_S in the long run) for as long as the soak goes: a task
        beside the pilot's, which waits as long as the app is busy."""
        next_log = 0.0
        while True:
            s = self.sample(app)
            if self.phase == "long" and time.monotonic() >= next_log:
                next_log = time.monotonic() + 10
                log(
                    f"long run: epoch {s.epochs_done}, UI {s.ui_rss / MB:.1f} MB, training "
                    f"process {(s.child_rss or 0) / MB:.1f} MB, points {self.last_points}"
                )
            await asyncio.sleep(LONG_SAMPLE_S if self.phase == "long" else SAMPLE_S)

    async def show_tab(self, pilot: Any, app: Any, key: str, tab: str) -> None:
        """Press a tab's key as a user does (escape first when a text field has the focus)."""
        from textual.widgets import Input, TabbedContent

        if isinstance(app.focused, Input):
            await pilot.press("escape")
        await pilot.press(key)
        tabs = app.query_one(TabbedContent)
        await self.until(pilot, lambda: tabs.active == tab, f"the {tab} tab")

    def run_drawn(self, app: Any, run_id: int) -> bool:
        """Run run_id ended, its reader returned and the Train tab drew everything it was given."""
        from tui_trainer.ui.tabs.train import TrainPane

        pane = app.query_one(TrainPane)
        run = pane.current
        return (
            run is not None
            and run.run_id == run_id
            and run.done
            and not app.runs.running
            and not (pane._dirty or pane._runs_dirty or pane._stages)
        )

    # ------------------------------------------------------------ the soak

    async def run(self) -> None:
        """Open the backend first (as `tui-trainer app` does), then the app, then the phases."""
        from tui_trainer.core.backend import open_backend
        from tui_trainer.core.backend.process.parent import ProcessBackend

        a = self.args
        backend = open_backend()  # the child imports torch while Textual is imported
        if not isinstance(backend, ProcessBackend):
            raise RuntimeError(f"the app would train in a thread here ({backend.notice}): the soak needs the process")
        from tui_trainer.ui.app import TrainerApp

        self.runs_dir = Path(tempfile.mkdtemp(prefix="tui-trainer-soak-"))
        app = TrainerApp(
            backend=backend,
            dataset=SHORT_DATASET,
            preset=SHORT_PRESET,
            runs_dir=self.runs_dir,
            tune_gc=not a.no_tune_gc,
        )
        self.t0 = time.monotonic()
        settle = app.settle_memory

        def timed_settle() -> None:  # what a run start costs the UI for the garbage collector
            t = time.perf_counter()
            settle()
            self.settle_ms.append((time.perf_counter() - t) * 1000)

        app.settle_memory = timed_settle
        try:
            async with app.run_test(size=(100, 30)) as pilot:
                await self.until(pilot, lambda: app.backend.pid is not None, "the training process")
                await app.workers.wait_for_complete()  # the device list: the child has imported torch
                app.set_experiment(app.experiment.with_train(epochs=SHORT_EPOCHS))
                self.sample(app)
                self.phase = "warm-up"
                sampling = asyncio.create_task(self.sampler(app))
                try:
                    await self.short_runs(pilot, app)
                    await self.long_run(pilot, app)
                finally:
                    sampling.cancel()
                self.torch_in_ui = "torch" in sys.modules
        finally:
            if not a.keep_runs:
                shutil.rmtree(self.runs_dir, ignore_errors=True)
        if self.torch_in_ui:
            raise RuntimeError("the UI process imported torch")

    async def start_run(self, pilot: Any, app: Any, key: str, mid_run: bool) -> int:
        """Start the next run with s or r on the Train tab; with mid_run, r once the previous run trains."""
        from tui_trainer.ui.tabs.train import TrainPane

        pane = app.query_one(TrainPane)
        if app.query_one("TabbedContent").active != "train":
            await self.show_tab(pilot, app, "4", "train")
        expected = app.runs.run_id + 1
        if mid_run:  # the previous run was started already: r stops it and trains again
            await self.until(
                pilot,
                lambda: pane.current is not None and (pane.current.started is not None or pane.current.done),
                "the run's start",
            )
        await pilot.press(key)
        await self.until(pilot, lambda: app.runs.run_id >= expected, f"run {expected} to start")
        return app.runs.run_id

    async def short_runs(self, pilot: Any, app: Any) -> None:
        """N short runs, with listings, overlays and tab switches between them."""
        from tui_trainer.ui.tabs.runs import RunsPane

        a = self.args
        runs_pane = app.query_one(RunsPane)
        started = time.monotonic()
        for i in range(1, a.runs + 1):
            if i == a.warmup + 1:
                self.phase = "runs"
                self.sample(app)  # the start of the measured phase: after the warm-up runs
                self.mark()
            self.run_no = i
            mid_run = i % 10 == 5  # r while the previous run trains: a stopped run, the stop path
            if mid_run:
                short = app.experiment
                app.set_experiment(short.with_train(epochs=STOPPED_EPOCHS))
                await self.start_run(pilot, app, "s", mid_run=False)
                app.set_experiment(short)  # what r then trains
                run_id = await self.start_run(pilot, app, "r", mid_run=True)
            else:
                run_id = await self.start_run(pilot, app, "r" if i % 2 else "s", mid_run=False)
            await self.until(pilot, lambda r=run_id: self.run_drawn(app, r), f"run {run_id} drawn")
            if i % 3 == 0:
                await self.runs_tab(pilot, app, runs_pane, i)
            if i % 4 == 0:
                for key, tab in (("1", "data"), ("2", "model"), ("3", "hparams"), ("6", "help"), ("4", "train")):
                    await self.show_tab(pilot, app, key, tab)
            self.sample(app)
            if i % 10 == 0 or i == a.runs:
                s = self.samples[-1]
                log(
                    f"run {i}/{a.runs}: UI {s.ui_rss / MB:.1f} MB, training process "
                    f"{(s.child_rss or 0) / MB:.1f} MB, points {self.last_points}, "
                    f"kept {self.last_kept[self.phase]['session_runs']} runs"
                )
        self.runs_seconds = time.monotonic() - started
        self.statuses = dict(Counter(str(r.status) for r in app.runs.pane.runs))
        self.diagnose("runs")

    async def runs_tab(self, pilot: Any, app: Any, runs_pane: Any, i: int) -> None:
        """Show the Runs tab (it lists the folder), re-read it (g), toggle an overlay (space)."""
        from textual.widgets import DataTable

        def listed() -> bool:
            saved = sum(1 for p in self.runs_dir.iterdir() if p.is_dir())
            return len(runs_pane.records) == saved and not any(
                w.group == "runs-list" and w.is_running for w in app.workers
            )

        await self.show_tab(pilot, app, "5", "runs")
        await self.until(pilot, listed, "the Runs tab's listing")
        if i % 2 == 0:
            await pilot.press("g")
            await self.until(pilot, listed, "the Runs tab's listing after g")
        table = runs_pane.query_one("#runs-list", DataTable)
        if len(self.overlay_order) >= 3:  # a user looks at a few at a time: take the oldest off
            key = self.overlay_order.pop(0)
            row = next((n for n, r in enumerate(runs_pane.records) if str(r.path) == key), None)
        else:
            row = (i // 3) % len(runs_pane.records)
            while str(runs_pane.records[row].path) in app.runs.overlays:
                row = (row + 1) % len(runs_pane.records)
            self.overlay_order.append(str(runs_pane.records[row].path))
        if row is not None:
            table.move_cursor(row=row, animate=False)
            await self.until(pilot, lambda: table.cursor_row == row, "the cursor on the run")
            before = dict(app.runs.overlays)
            await pilot.press("space")
            await self.until(pilot, lambda: app.runs.overlays != before, "the overlay toggled")

    async def long_run(self, pilot: Any, app: Any) -> None:
        """One long run of many one-batch epochs, unsaved, that the dashboard follows; sampled every LONG_SAMPLE_S."""
        a = self.args
        self.phase = "long"
        self.run_no = a.runs + 1
        runs_dir, app.runs_dir = app.runs_dir, None if not a.save_long else app.runs_dir
        app.set_experiment(
            app.experiment.with_data(name=LONG_DATASET).with_train(epochs=a.epochs_long, batch_size=LONG_BATCH)
        )
        if app.blockers():
            raise RuntimeError(f"the long run cannot start: {app.blockers()}")
        self.mark()
        self.sample(app)
        started = time.monotonic()
        run_id = await self.start_run(pilot, app, "r", mid_run=False)
        from tui_trainer.ui.tabs.train import TrainPane

        pane = app.query_one(TrainPane)
        await self.until(pilot, lambda: self.run_drawn(app, run_id), "the long run's end", timeout=WAIT_S * 10)
        self.long_seconds = time.monotonic() - started
        run = pane.current
        self.long_epochs_done = run.ended.epochs_done if run.ended else 0
        self.statuses[f"long {run.status!s}"] = 1
        self.sample(app)
        app.runs_dir = runs_dir
        self.diagnose("long")

    def mark(self) -> None:
        """The start of a measured phase, for --tracemalloc and --types."""
        if not (self.args.tracemalloc or self.args.types):
            return
        frozen = unfreeze_and_collect()
        if self.args.tracemalloc:
            self._snapshot = tracemalloc.take_snapshot()
        if self.args.types:
            self._types = object_types()
        if frozen:
            gc.freeze()

    def diagnose(self, phase: str) -> None:
        """What grew since mark(): the allocation sites (tracemalloc) and the object types (gc)."""
        if not (self.args.tracemalloc or self.args.types):
            return
        frozen = unfreeze_and_collect()
        if self._snapshot is not None:
            keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
            now = tracemalloc.take_snapshot().filter_traces(keep)
            stats = now.compare_to(self._snapshot.filter_traces(keep), "traceback")
            lines = []
            for stat in stats[: self.args.tracemalloc]:
                newest = list(stat.traceback)[::-1][:6]  # tracemalloc keeps the frames oldest first
                frames = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in newest)
                lines.append(f"{stat.size_diff / 1024:+.1f} KiB ({stat.count_diff:+d} blocks) {frames}")
            total = sum(stat.size_diff for stat in stats) / 1024
            lines.insert(0, f"{total:+.1f} KiB in all (Python's allocations, tracemalloc's own left out)")
            self.diagnosis[f"{phase} allocations"] = lines
            self._snapshot = None
        if self._types is not None:
            grown = object_types()
            grown.subtract(self._types)
            top = [f"{n:+d} {name}" for name, n in grown.most_common(self.args.types) if n > 0]
            self.diagnosis[f"{phase} objects"] = top
            self._types = None
        if frozen:
            gc.freeze()
        for key in (f"{phase} allocations", f"{phase} objects"):
            if key in self.diagnosis:
                log(f"{key}: grown since the phase began\n  " + "\n  ".join(self.diagnosis[key]))


def unfreeze_and_collect() -> bool:
    """Collect everything, frozen objects too (those are never collected otherwise), and leave them
    unfrozen (the caller counts them, then freezes again); True when some were frozen."""
    frozen = gc.get_freeze_count() > 0
    gc.unfreeze()
    gc.collect()
    return frozen


def object_types() -> Counter:
    """How many objects the garbage collector tracks, by type (call it with nothing frozen)."""
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


def phase_rows(soak: Soak) -> list[dict]:
    """Per phase: samples, UI and training-process memory (start, end, max) and the most points per plot."""
    rows = []
    for phase in ("warm-up", "runs", "long"):
        ss = [s for s in soak.samples if s.phase == phase]
        if not ss:
            continue
        child = [s.child_rss for s in ss if s.child_rss]
        rows.append(
            {
                "phase": phase,
                "samples": len(ss),
                "ui_rss_start_mb": round(ss[0].ui_rss / MB, 1),
                "ui_rss_end_mb": round(ss[-1].ui_rss / MB, 1),
                "ui_rss_max_mb": round(max(s.ui_rss for s in ss) / MB, 1),
                "child_rss_start_mb": round(child[0] / MB, 1) if child else None,
                "child_rss_end_mb": round(child[-1] / MB, 1) if child else None,
                "child_rss_max_mb": round(max(child) / MB, 1) if child else None,
                "max_points_per_plot": max(s.plot_points for s in ss),
                "max_points_per_curve": max(s.curve_points for s in ss),
                "max_points": soak.most_points.get(phase, {}),
                "kept_end": soak.last_kept.get(phase, {}),
            }
        )
    return rows


def summarise(soak: Soak, args: argparse.Namespace, wall_s: float, load_start: float) -> dict:
    """Everything measured, as one JSON-able object, with the targets."""
    import textual

    rows = phase_rows(soak)
    by = {r["phase"]: r for r in rows}
    first = soak.samples[0]
    runs = [s for s in soak.samples if s.phase == "runs"]
    long = [s for s in soak.samples if s.phase == "long"]
    out: dict = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {
            "cpu_count": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "textual": textual.__version__,
        },
        "runs": args.runs,
        "warmup_runs": args.warmup,
        "epochs_long": args.epochs_long,
        "long_epochs_done": soak.long_epochs_done,
        "runs_seconds": round(soak.runs_seconds, 1),
        "long_seconds": round(soak.long_seconds, 1),
        "statuses": soak.statuses,
        "ui_rss_start_mb": round(first.ui_rss / MB, 1),
        "ui_rss_after_warmup_mb": by["runs"]["ui_rss_start_mb"] if "runs" in by else None,
        "ui_rss_end_mb": round(soak.samples[-1].ui_rss / MB, 1),
        "ui_rss_max_mb": round(max(s.ui_rss for s in soak.samples) / MB, 1),
        "ui_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "torch_in_ui_process": soak.torch_in_ui,
        "settle_memory_ms_median_max": [
            round(statistics.median(soak.settle_ms), 1) if soak.settle_ms else None,
            round(max(soak.settle_ms), 1) if soak.settle_ms else None,
        ],
        "phases": rows,
        "loadavg_1min_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
    }
    # growth: the highest reading of a phase less its first (memory handed back later does not count)
    ui_runs = (max(s.ui_rss for s in runs) - runs[0].ui_rss) / MB if runs else None
    child_runs = [s.child_rss for s in runs if s.child_rss]
    child_runs_growth = (max(child_runs) - child_runs[0]) / MB if child_runs else None
    settled = [s for s in long if s.epochs_done >= max(1, soak.long_epochs_done // 10)]
    ui_long = (max(s.ui_rss for s in settled) - settled[0].ui_rss) / MB if len(settled) > 1 else None
    child_long = [s.child_rss for s in long if s.child_rss]
    out["ui_growth_runs_mb"] = None if ui_runs is None else round(ui_runs, 1)
    out["ui_growth_long_mb"] = None if ui_long is None else round(ui_long, 1)
    out["child_growth_runs_mb"] = None if child_runs_growth is None else round(child_runs_growth, 1)
    out["child_growth_long_mb"] = round((max(child_long) - child_long[0]) / MB, 1) if child_long else None
    out["max_points_per_plot"] = max(s.plot_points for s in soak.samples)
    curve = max(s.curve_points for s in soak.samples)
    out["max_points_per_curve"] = curve
    out["targets_met"] = {
        "ui_growth_runs<10MB": ui_runs is not None and ui_runs < TARGETS_MB["ui_runs_growth"],
        "ui_growth_long<5MB": ui_long is not None and ui_long < TARGETS_MB["ui_long_growth"],
        "child_growth_runs<10MB": child_runs_growth is not None and child_runs_growth < TARGETS_MB["child_runs_growth"],
        f"points_per_curve<={CURVE_POINTS_BOUND}": curve <= CURVE_POINTS_BOUND,
        "no_torch_in_ui": soak.torch_in_ui is False,
    }
    if soak.diagnosis:
        out["diagnosis"] = soak.diagnosis
    out["wall_s"] = round(wall_s, 1)
    out["samples"] = [asdict(s) for s in soak.samples] if args.json_samples else None
    return out


def table(result: dict) -> str:
    """The phases as a small text table, then the growth figures and the targets."""
    head = (
        f"{'phase':<8}{'samples':>8}{'UI start':>10}{'UI end':>9}{'UI max':>9}"
        f"{'child start':>13}{'child end':>11}{'child max':>11}{'points/plot':>13}{'/curve':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in result["phases"]:
        lines.append(
            f"{r['phase']:<8}{r['samples']:>8}{r['ui_rss_start_mb']:>10.1f}{r['ui_rss_end_mb']:>9.1f}"
            f"{r['ui_rss_max_mb']:>9.1f}{r['child_rss_start_mb'] or 0:>13.1f}{r['child_rss_end_mb'] or 0:>11.1f}"
            f"{r['child_rss_max_mb'] or 0:>11.1f}{r['max_points_per_plot']:>13}{r['max_points_per_curve']:>8}"
        )
    lines.append(
        "(resident memory in MB; points/plot, /curve: the most points one Train-tab plot, one of its curves held)"
    )
    lines.append(
        f"UI: start {result['ui_rss_start_mb']} MB, after warm-up {result['ui_rss_after_warmup_mb']} MB, "
        f"end {result['ui_rss_end_mb']} MB, max {result['ui_rss_max_mb']} MB; growth (highest - first) over the "
        f"runs {result['ui_growth_runs_mb']} MB, over the long run (after its first tenth) {result['ui_growth_long_mb']} MB"
    )
    lines.append(
        f"training process: growth over the runs {result['child_growth_runs_mb']} MB, "
        f"during the long run {result['child_growth_long_mb']} MB; torch in the UI process: "
        f"{result['torch_in_ui_process']}; settle_memory at run start (ms, median / max) "
        f"{result['settle_memory_ms_median_max']}"
    )
    lines.append(
        f"{result['runs']} short runs ({result['warmup_runs']} warm-up) in {result['runs_seconds']} s "
        f"{result['statuses']}; long run {result['long_epochs_done']}/{result['epochs_long']} epochs in "
        f"{result['long_seconds']} s; {result['machine']['cpu_count']} CPUs; wall {result['wall_s']} s"
    )
    lines.append("targets: " + "  ".join(f"{k} {'yes' if v else 'NO'}" for k, v in result["targets_met"].items()))
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (--quick: 20 runs and 500 epochs)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=None, help="short runs (200; quick 20)")
    p.add_argument("--epochs-long", type=int, default=None, help="epochs of the long run (10,000; quick 500)")
    p.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="short runs before the measured phase (15 %% of --runs, >= 10: 30; quick 10)",
    )
    p.add_argument("--quick", action="store_true", help="20 runs and a 500-epoch long run, for a fast check")
    p.add_argument("--json", metavar="FILE", default=None, help="also write the figures to FILE as JSON")
    p.add_argument("--json-samples", action="store_true", help="put every sample into the JSON too")
    p.add_argument(
        "--save-long",
        action="store_true",
        help="save the long run too (slow: metrics.csv, summary and last.pt are rewritten every epoch)",
    )
    p.add_argument(
        "--no-tune-gc", action="store_true", help="leave the garbage collector as Python sets it (diagnosis)"
    )
    p.add_argument("--keep-runs", action="store_true", help="keep the temporary runs folder")
    p.add_argument(
        "--tracemalloc",
        type=int,
        metavar="N",
        default=0,
        help="trace the UI's allocations and print the N lines that grew most per phase (slows the app)",
    )
    p.add_argument(
        "--types", type=int, metavar="N", default=0, help="print the N object types that grew most per phase"
    )
    a = p.parse_args(argv)
    a.runs = a.runs if a.runs is not None else (20 if a.quick else 200)
    a.epochs_long = a.epochs_long if a.epochs_long is not None else (500 if a.quick else 10_000)
    a.warmup = a.warmup if a.warmup is not None else max(10, a.runs * 3 // 20)
    if a.runs <= a.warmup:
        p.error(f"--runs must be more than the {a.warmup} warm-up runs")
    return a


def main(argv: list[str] | None = None) -> int:
    """Run the soak, print the table, write the JSON."""
    args = parse_args(argv)
    os.environ.pop("NO_COLOR", None)  # the app renders in colour, as for a user
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    if args.tracemalloc:
        tracemalloc.start(4)
    soak = Soak(args)
    asyncio.run(soak.run())
    result = summarise(soak, args, time.perf_counter() - started, load_start)
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        log(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
