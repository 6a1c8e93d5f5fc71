"""The Textual app: everything that draws; built on tui_trainer.core."""
