"""python -m tui_trainer: the same as the tui-trainer command."""

from tui_trainer.cli import main

raise SystemExit(main())
