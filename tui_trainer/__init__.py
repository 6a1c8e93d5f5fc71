"""tui-trainer: train and inspect neural networks from the terminal."""

__version__ = "0.1.0"
