"""The core never imports UI libraries, and its light modules do not even import torch."""

from __future__ import annotations

import json
import subprocess
import sys

UI_MODULES = ("textual", "rich", "plotext", "textual_plotext")
CORE_MODULES = ("config", "layers", "model", "events", "metrics", "loader", "engine", "presets", "datasets")
TORCH_FREE = ("config", "layers", "model", "presets", "events", "metrics")


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
    return sorted(set(found) | {f"tui_trainer.core.{m}" for m in CORE_MODULES})


def test_core_never_imports_ui_libraries():
    names = ["tui_trainer.core"] + _all_core_modules()
    assert "tui_trainer.core.datasets.registry" in names
    loaded = _loaded_after(names)
    assert "tui_trainer" in loaded  # the check itself ran
    leaked = loaded & set(UI_MODULES)
    assert not leaked, f"core imported UI modules: {sorted(leaked)}"


def test_light_core_modules_do_not_import_torch():
    names = ["tui_trainer.core"] + [f"tui_trainer.core.{m}" for m in TORCH_FREE]
    loaded = _loaded_after(names)
    assert "tui_trainer" in loaded
    assert "torch" not in loaded, "config/layers/model/presets/events/metrics must not import torch"


def test_summary_validation_and_presets_run_without_torch():
    """What the first frame needs (presets, validation, the layer table) works before torch loads."""
    code = (
        "import sys\n"
        "from tui_trainer.core.config import dumps, loads, validate\n"
        "from tui_trainer.core.model import summarize\n"
        "from tui_trainer.core.presets import list_presets, load_preset\n"
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
