"""Plain-text rendering of a sweep: one log-safe line per finished trial, the ranked table, importance bars, JSON."""

from __future__ import annotations

from typing import Any

from tui_trainer.cli.report import table
from tui_trainer.core.sweep.results import StudyResult, TrialResult


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def params_text(params: dict[str, Any]) -> str:
    """lr=0.0123 batch_size=32"""
    return " ".join(f"{k}={_value_text(v)}" for k, v in params.items())


def trial_line(t: TrialResult, objective: str) -> str:
    """One line per finished trial: number, how it ended, objective, parameters, epochs, time, run directory."""
    if t.state == "complete":
        how = f"complete  {objective} {t.value:.4f}"
    elif t.state == "pruned":
        how = t.reason or "pruned"
    else:
        how = f"{t.state}: {t.reason}" if t.reason else t.state
    seconds = f"  {t.seconds:.1f}s" if t.seconds is not None else ""
    where = f"  {t.run_dir}" if t.run_dir else ""
    return f"trial {t.number}  {how}  {params_text(t.params)}  epochs {t.epochs}{seconds}{where}"


def ranked_table(result: StudyResult, objective: str) -> str:
    """The trials best first: rank, number, state, objective, epochs, time, parameters."""
    names = sorted({k for t in result.trials for k in t.params})
    rows = []
    for rank, t in enumerate(result.ranked(), start=1):
        value = f"{t.value:.4f}" if t.value is not None else (f"({t.curve[-1]:.4f})" if t.curve else "-")
        seconds = f"{t.seconds:.1f}" if t.seconds is not None else "-"
        rows.append(
            [str(rank), str(t.number), t.state, value, str(t.epochs), seconds]
            + [_value_text(t.params[k]) if k in t.params else "-" for k in names]
        )
    return table(["rank", "trial", "state", objective, "epochs", "s", *names], rows, right={0, 1, 3, 4, 5})


def importance_bars(importances: dict[str, float], width: int = 30) -> str:
    """One bar per parameter, most important first."""
    if not importances:
        return "importances: need two complete trials with different results"
    pad = max(len(k) for k in importances)
    lines = ["importances (Optuna's evaluator; they sum to 1):"]
    for name, value in sorted(importances.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {name.ljust(pad)}  {'#' * max(0, round(value * width)):<{width}}  {value:.3f}")
    return "\n".join(lines)


def summary_text(result: StudyResult, objective: str) -> str:
    """The ranked table, the counts, the best trial and the importances."""
    counts = ", ".join(
        f"{result.count(s)} {s}"
        for s in ("complete", "pruned", "failed", "running")
        if result.count(s) or s != "running"
    )
    parts = [ranked_table(result, objective), f"trials: {len(result.trials)} ({counts})"]
    best = result.best
    if best is not None:
        parts.append(f"best: trial {best.number}  {objective} {best.value:.4f}  {params_text(best.params)}")
        if best.run_dir:
            parts.append(f"best run: {best.run_dir}")
    parts.append(importance_bars(result.importances))
    return "\n".join(parts)


def sweep_json(result: StudyResult, storage: str, sweep_dir: str) -> dict[str, Any]:
    """The --json object: study_name, storage, sweep_dir, best, trials, importances."""
    best = result.best
    return {
        "study_name": result.study_name,
        "storage": storage,
        "sweep_dir": sweep_dir,
        "best": None
        if best is None
        else {"number": best.number, "params": best.params, "value": best.value, "run_dir": best.run_dir},
        "trials": [t.to_json() for t in result.trials],
        "importances": result.importances,
    }
