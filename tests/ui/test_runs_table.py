"""The session's runs table is drawn again only when a cell changed, with the same cells as a table drawn
afresh."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui_trainer.core.spec.events import RunStarted
from tui_trainer.core.spec.experiment import Experiment
from tui_trainer.ui.run_history import RunHistory
from tui_trainer.ui.widgets.runs_table import RunsTable


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield RunsTable(id="mine")
        yield RunsTable(id="fresh")


def _cells(table: RunsTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def _counted(table: RunsTable, method: str, note) -> list:  # noqa: ANN001
    """Wrap one of table's methods so that each call appends note(*its positional arguments) to the list returned."""
    calls: list = []
    original = getattr(table, method)

    def counted(*args, **kwargs):
        calls.append(note(*args))
        return original(*args, **kwargs)

    setattr(table, method, counted)
    return calls


def _runs(n: int) -> list[RunHistory]:
    runs = []
    for run_id in range(1, n + 1):
        run = RunHistory(run_id, Experiment().with_train(lr=0.01 * run_id))
        run.add(RunStarted("cpu", 1000 * run_id, 100, 20, 0, 5, 4, 32, ("a", "b"), (2,)))
        runs.append(run)
    return runs


async def test_the_table_is_drawn_again_only_when_a_cell_changed() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        mine = app.query_one("#mine", RunsTable)
        clears = _counted(mine, "clear", lambda *args: 1)
        runs = _runs(2)
        mine.show(runs)
        mine.show(runs)
        assert len(clears) == 1  # nothing changed: nothing drawn
        runs[-1].status = "finished"
        mine.show(runs)
        runs += _runs(3)[2:]
        mine.show(runs)
        assert len(clears) == 3
        fresh = app.query_one("#fresh", RunsTable)
        fresh.show(runs)
        await pilot.pause()
        assert _cells(mine) == _cells(fresh)
        assert _cells(mine)[1][1] == "finished" and _cells(mine)[2][-1] == "lr 0.03"


async def test_a_live_runs_changed_cells_are_written_in_place_while_they_fit() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        mine = app.query_one("#mine", RunsTable)
        clears = _counted(mine, "clear", lambda *args: 1)
        updates = _counted(mine, "update_cell", lambda row, column, *rest: (row, column))
        runs = _runs(2)
        runs[-1].status = "finished-with-a-long-word"
        mine.show(runs)
        runs[-1].status = "running"  # narrower than the column: in place, only that cell
        mine.show(runs)
        assert len(clears) == 1 and updates == [("2", "status")]
        runs[-1].status = "a status wider than any before"  # does not fit: drawn afresh
        mine.show(runs)
        assert len(clears) == 2
        fresh = app.query_one("#fresh", RunsTable)
        fresh.show(runs)
        await pilot.pause()
        assert _cells(mine) == _cells(fresh)
