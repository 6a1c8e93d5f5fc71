"""Regenerate screenshots/*.svg: every tab of the app in a realistic state (real training), at 120x40 and 100x30,
and the Train tab at 80x24 too.

python scripts/screenshots.py [--out DIR]    (default: screenshots/ at the top of the checkout)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.tabs.train import TrainPane

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (120, 40)
SMALLER = [(100, 30), (80, 24)]
"""The same tabs again at these sizes (80x24: the Train tab only), named NAME-WxH.svg."""
TABS = [("1", "1-data"), ("2", "2-model"), ("3", "3-hyperparams"), ("4", "4-train"), ("5", "5-runs")]
TABS += [("question_mark", "6-help")]


async def wait_for_run(pilot, pane: TrainPane, runs: int, timeout: float = 300) -> None:
    """Let the app run until `runs` runs have ended."""
    deadline = time.monotonic() + timeout
    while not (len(pane.runs) >= runs and pane.current.done):
        if time.monotonic() > deadline:
            raise SystemExit("training did not finish in time")
        await pilot.pause(0.1)
    await pilot.pause(0.5)


async def main(out: Path = OUT) -> None:
    os.environ.pop("NO_COLOR", None)
    out.mkdir(parents=True, exist_ok=True)
    app = TrainerApp(dataset="digits28", preset="lenet5", runs_dir=tempfile.mkdtemp(prefix="tui-trainer-shots-"))
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        app.save_screenshot(str(out / "1-data.svg"))
        await pilot.press("2")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "2-model.svg"))
        await pilot.press("3")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "3-hyperparams.svg"))
        pane = app.query_one(TrainPane)
        app.set_experiment(app.experiment.with_train(epochs=6, lr=0.0005, schedule="none"))
        await pilot.press("s")
        await wait_for_run(pilot, pane, 1)
        app.set_experiment(app.experiment.with_train(epochs=6, lr=0.002, schedule="cosine"))
        await pilot.press("r")
        await wait_for_run(pilot, pane, 2)
        app.save_screenshot(str(out / "4-train.svg"))
        await pilot.press("5")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        app.save_screenshot(str(out / "5-runs.svg"))
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        app.save_screenshot(str(out / "6-help.svg"))
        for width, height in SMALLER:
            await pilot.resize_terminal(width, height)
            for key, name in TABS if width >= 100 else [("4", "4-train")]:
                await pilot.press(key)
                await pilot.pause(0.5)
                app.save_screenshot(str(out / f"{name}-{width}x{height}.svg"))
    print(f"wrote {len(list(out.glob('*.svg')))} screenshots to {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder for the .svg files (default: {OUT})")
    asyncio.run(main(parser.parse_args().out))
