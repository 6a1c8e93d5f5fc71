"""The run-time proof of the import-linter contracts: the core never imports UI libraries, and what the UI
process imports (the spec layer, the dataset catalogue, the pipeline's checks, the backend interface) never
imports torch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.process

UI_MODULES = ("textual", "rich", "plotext", "textual_plotext")
TORCH_FREE = (
    "tui_trainer.core.spec",
    "tui_trainer.core.spec.experiment",
    "tui_trainer.core.spec.layers",
    "tui_trainer.core.spec.summary",
    "tui_trainer.core.spec.presets",
    "tui_trainer.core.spec.events",
    "tui_trainer.core.spec.metrics",
    "tui_trainer.core.spec.throttle",
    "tui_trainer.core.data",
    "tui_trainer.core.data.registry",
    "tui_trainer.core.data.preview",
    "tui_trainer.core.pipeline",
    "tui_trainer.core.pipeline.checks",
    "tui_trainer.core.pipeline.request",
    "tui_trainer.core.runs",
    "tui_trainer.core.backend",
    "tui_trainer.core.backend.process",
    "tui_trainer.core.backend.thread",
    "tui_trainer.core.backend.follow",
)
"""Modules the UI process imports: importing them must not import torch (they may import it lazily, inside
the functions that train or load data, which run in the training process)."""


def _loaded_after(imports: list[str]) -> set[str]:
    """Top-level module names in sys.modules after importing `imports` in a fresh interpreter."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {imports!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _all_core_modules() -> list[str]:
    """Every module under tui_trainer.core, found on disk (so new modules are checked too)."""
    import pkgutil

    import tui_trainer.core

    found = [m.name for m in pkgutil.walk_packages(tui_trainer.core.__path__, "tui_trainer.core.")]
    return sorted(set(found) - {"tui_trainer.core.backend.process.child"})  # its import runs serve() only as main


def test_core_never_imports_ui_libraries():
    names = ["tui_trainer.core"] + _all_core_modules()
    assert "tui_trainer.core.data.registry" in names
    loaded = _loaded_after(names)
    assert "tui_trainer" in loaded  # the check itself ran
    leaked = loaded & set(UI_MODULES)
    assert not leaked, f"core imported UI modules: {sorted(leaked)}"


def test_every_core_module_is_found():
    names = _all_core_modules()
    assert {
        "tui_trainer.core.spec.experiment",
        "tui_trainer.core.training.engine",
        "tui_trainer.core.pipeline.prepare",
    } <= set(names)
    assert set(TORCH_FREE) <= set(names) | {"tui_trainer.core.spec"}


def test_what_the_ui_process_imports_does_not_import_torch():
    loaded = _loaded_after(list(TORCH_FREE))
    assert "tui_trainer" in loaded
    heavy = loaded & {"torch", "torchvision", "sklearn", "numpy"}
    assert not heavy, f"importing the UI-side core modules imported {sorted(heavy)}"


def test_summary_validation_and_presets_run_without_torch():
    """What the first frame needs (presets, validation, the layer table) works before torch loads."""
    code = (
        "import sys\n"
        "from tui_trainer.core.spec.experiment import dumps, loads, validate\n"
        "from tui_trainer.core.spec.summary import summarize\n"
        "from tui_trainer.core.spec.presets import list_presets, load_preset\n"
        "for info in list_presets():\n"
        "    e = load_preset(info.name)\n"
        "    assert validate(e) == [] and loads(dumps(e)) == e\n"
        "    summarize(e.layers, (1, 28, 28), 10)\n"
        "assert summarize(load_preset('lenet5').layers, (1, 28, 28), 10).total_params == 44426\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_the_check_sees_imports():
    # Guard against a vacuous test: a module imported in the subprocess does show up.
    assert "tomllib" in _loaded_after(["tomllib"])
    assert "tomllib" not in _loaded_after(["json"])
