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


def test_core_never_imports_ui_libraries():
    names = ["tui_trainer.core"] + [f"tui_trainer.core.{m}" for m in CORE_MODULES]
    loaded = _loaded_after(names)
    assert "tui_trainer" in loaded  # the check itself ran
    leaked = loaded & set(UI_MODULES)
    assert not leaked, f"core imported UI modules: {sorted(leaked)}"


def test_light_core_modules_do_not_import_torch():
    names = ["tui_trainer.core"] + [f"tui_trainer.core.{m}" for m in TORCH_FREE]
    loaded = _loaded_after(names)
    assert "tui_trainer" in loaded
    assert "torch" not in loaded, "config/layers/model/presets/events/metrics must not import torch"


def test_the_check_detects_torch():
    # Guard against a vacuous test: importing the engine's heavy parts does load torch.
    loaded = _loaded_after(["torch"])
    assert "torch" in loaded
