"""Listing commands of the CLI: `tui-trainer datasets` and `tui-trainer presets`."""

from __future__ import annotations

import argparse


def cmd_datasets(args: argparse.Namespace) -> int:
    """List the datasets with kind, shape, classes, size, availability and description."""
    from tui_trainer.cli.report import table
    from tui_trainer.core.data import is_available, list_datasets
    from tui_trainer.core.spec.summary import format_shape

    rows = []
    for d in list_datasets():
        shape = format_shape(d.input_shape) if d.input_shape else "-"
        available = "yes" if is_available(d.name, "data") else "no (needs files)"
        rows.append([d.name, d.kind, shape, str(d.n_classes or "-"), str(d.n_samples or "-"), available, d.description])
    print(table(["name", "kind", "shape", "classes", "samples", "offline", "description"], rows, right={3, 4}))
    print("\nyour own data: csv:PATH (numeric columns + a label column) or folder:PATH (one sub-folder per class)")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    """List the presets with their descriptions."""
    from tui_trainer.cli.report import table
    from tui_trainer.core.spec.presets import list_presets

    rows = [[p.name, "built-in" if p.builtin else str(p.path), p.description] for p in list_presets()]
    print(table(["name", "source", "description"], rows))
    return 0
