"""App actions that turn the edited experiment into files: the PyTorch script, a user preset."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.app import App

from tui_trainer.core.config import ConfigError
from tui_trainer.core.presets import save_user_preset
from tui_trainer.ui.state import dataset_shape
from tui_trainer.ui.widgets.dialogs import AskText


class FileActions(App):
    """Mixed into TrainerApp: `c` shows the experiment as code (and writes it), `w` saves a preset."""

    def action_show_code(self) -> None:
        """Show the edited experiment as a standalone PyTorch script; w then writes it."""
        from tui_trainer.core.export import ExportError, ExportSource, export_script  # imported when used:
        from tui_trainer.ui.widgets.code_view import CodeView  # rich.syntax would delay the first frame

        experiment = self.experiment
        shape = dataset_shape(experiment, self.known_shapes)
        if shape is None:
            self.notify("Train once on this dataset so its shape is known, then export.", severity="warning")
            return
        filename = f"train_{experiment.name}_{experiment.data.name}.py".replace(":", "_").replace("/", "_")
        source = ExportSource(experiment, shape[0], shape[1], "the experiment edited in tui-trainer")
        try:
            code = export_script(source, filename)
        except ExportError as exc:
            self.notify(str(exc), title="Export", severity="error")
            return

        def write(answer: str | None) -> None:
            if not answer:
                return
            try:
                Path(answer).write_text(code, encoding="utf-8")
            except OSError as exc:
                self.notify(f"cannot write {answer}: {exc.strerror or exc}", title="Export", severity="error")
                return
            self.notify(f"wrote {answer}: run it with python {answer}", title="Export")

        def closed(wants_file: bool | None) -> None:
            if wants_file:
                self.push_screen(AskText("Write the script to which file?", filename), write)

        self.push_screen(CodeView(code, f"{filename}: plain PyTorch, runs without tui-trainer"), closed)

    def action_save_preset(self) -> None:
        """Save the edited experiment as a user preset (it then appears beside the built-in ones)."""

        def save(name: str | None) -> None:
            if not name:
                return
            try:
                path = save_user_preset(self.experiment, name)
            except ConfigError as exc:
                self.notify(str(exc), title="Save preset", severity="error")
                return
            saved = dataclasses.replace(self.experiment, name=name)
            self.preset_experiment = saved
            self.set_experiment(saved)
            self.preset_name = name
            self.notify(f"saved {path}", title="Save preset")

        self.push_screen(
            AskText("Save the edited experiment as your preset called:", f"my-{self.experiment.name}"), save
        )
