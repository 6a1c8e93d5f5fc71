"""The per-class table draws what a zebra-striped DataTable of the same cells draws (the widget it replaces), cell by
cell, characters and colours; a new report replaces the lines; many classes scroll under a header that stays."""

from __future__ import annotations

from fakes import scripted_report
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import DataTable

from tui_trainer.core.spec.metrics import report_from_confusion
from tui_trainer.ui.widgets.class_metrics import COLUMNS, ClassMetrics, report_rows


class Both(App):
    """The widget beside the DataTable it replaces, fed the same report (neither focused)."""

    AUTO_FOCUS = None
    CSS = "DataTable { width: auto; }"  # as wide as its table, as the Train tab lays the per-class table out

    def compose(self) -> ComposeResult:
        yield ClassMetrics(id="mine")
        yield DataTable(id="oracle", cursor_type="none", zebra_stripes=True, show_cursor=False)


def oracle_rows(table: DataTable, report) -> None:
    """The DataTable as ClassMetrics used to fill it: names left, numbers right, the averages' label in bold."""
    for label in COLUMNS:
        table.add_column(label, key=label)
    for i, cells in enumerate(report_rows(report)):
        average = i >= len(report.class_names)
        name = Text(cells[0], style="bold") if average else Text(cells[0])
        table.add_row(name, *(Text(cell, justify="right") for cell in cells[1:]))


def cells(widget) -> list[list[tuple]]:
    """Every cell the widget draws: (character, foreground, background, bold)."""
    width, height = widget.size
    lines = []
    for strip in widget.render_lines(Region(0, 0, width, height)):
        row = []
        for segment in strip:
            style = segment.style
            for ch in segment.text:
                row.append((ch, style.color, style.bgcolor, bool(style.bold)))
        lines.append(row)
    return lines


async def test_the_table_draws_what_the_datatable_drew() -> None:
    report = scripted_report(3)
    app = Both()
    async with app.run_test(size=(80, 20)) as pilot:
        mine, oracle = app.query_one(ClassMetrics), app.query_one(DataTable)
        mine.show(report)
        oracle_rows(oracle, report)
        await pilot.pause()
        assert mine.size == oracle.size  # width: auto and height: auto give the same box
        assert cells(mine) == cells(oracle)
        assert [line.text.rstrip() for line in mine.render_lines(Region(0, 0, *mine.size))][:2] == [
            " class      precision  recall  F1     support",
            " cat            0.923   0.800  0.857       15",
        ]


async def test_a_new_report_replaces_the_lines_and_none_clears_them() -> None:
    app = Both()
    async with app.run_test(size=(80, 20)) as pilot:
        mine = app.query_one(ClassMetrics)
        mine.show(scripted_report(1))
        await pilot.pause()
        first = [s.text for s in mine.render_lines(Region(0, 0, *mine.size))]
        mine.show(scripted_report(4))
        await pilot.pause()
        second = [s.text for s in mine.render_lines(Region(0, 0, *mine.size))]
        assert first[0] == second[0] and first[1:] != second[1:]
        assert f"{scripted_report(4).precision[0]:.3f}" in second[1]
        mine.show(None)
        await pilot.pause()
        assert mine.size.height == 1 and mine.rows == []


async def test_many_classes_scroll_under_the_header() -> None:
    names = tuple(f"class{i}" for i in range(40))
    confusion = [[5 if t == p else (1 if p == (t + 1) % 40 else 0) for p in range(40)] for t in range(40)]
    report = report_from_confusion(confusion, names)
    app = Both()
    app.CSS += " #mine { max-height: 10; }"
    async with app.run_test(size=(80, 30)) as pilot:
        mine = app.query_one(ClassMetrics)
        mine.show(report)
        await pilot.pause()
        assert mine.size.height == 10
        mine.scroll_to(y=20, animate=False)
        await pilot.pause()
        lines = [s.text for s in mine.render_lines(Region(0, 0, *mine.size))]
        assert lines[0].split() == list(COLUMNS)
        assert lines[1].split()[0] == "class20"
        mine.scroll_end(animate=False)
        await pilot.pause()
        lines = [s.text for s in mine.render_lines(Region(0, 0, *mine.size))]
        assert lines[-1].split()[0] == "weighted" and lines[-2].split()[0] == "macro"
