"""`tui-trainer summary` (the per-layer table) and `tui-trainer export` (a standalone PyTorch script)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tui_trainer.cli.experiment_args import experiment_from_args, with_settings
from tui_trainer.cli.parser import UsageError


def cmd_summary(args: argparse.Namespace) -> int:
    """The per-layer table of a preset on a dataset (a csv:/folder: dataset is loaded to learn its shape), then
    the memory training it needs."""
    from tui_trainer.cli.report import summary_json, summary_table
    from tui_trainer.core.data import DatasetError, dataset_info, shape_of
    from tui_trainer.core.spec.memory import estimate_memory
    from tui_trainer.core.spec.summary import summarize

    experiment = experiment_from_args(args)
    try:
        dataset_info(experiment.data.name)
    except DatasetError as exc:
        raise UsageError(str(exc)) from None
    shape = shape_of(experiment.data)
    if shape is None:
        from tui_trainer.core.data import load_dataset

        try:
            data = load_dataset(experiment.data)
        except DatasetError as exc:
            raise UsageError(str(exc)) from None
        shape = (data.input_shape, data.n_classes)
    summary = summarize(experiment.layers, *shape)
    memory = estimate_memory(summary, experiment.train) if summary.ok else None
    if args.json:
        print(json.dumps(summary_json(summary, experiment.name, experiment.data.name, memory)))
    else:
        print(f"{experiment.name} on {experiment.data.name}")
        print(summary_table(summary))
        if memory is not None:
            print(memory.line())
    if not summary.ok:
        print(
            f"error: preset {experiment.name} does not fit {experiment.data.name}: {summary.problems[0]}",
            file=sys.stderr,
        )
        return 2
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write (or print) the standalone PyTorch script of a run directory, experiment TOML or preset."""
    import dataclasses

    from tui_trainer.core.export import ExportError, export_script, load_source

    try:
        source = load_source(args.source)
        experiment = with_settings(source.experiment, args.set)
        script = export_script(dataclasses.replace(source, experiment=experiment), Path(args.output or "train.py").name)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    if args.output is None:
        sys.stdout.write(script)
        return 0
    try:
        Path(args.output).write_text(script, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {args.output}: run it with python {args.output}")
    return 0
