"""The Help tab: the keys of every tab (read from their bindings) and the lecture's ideas mapped to controls."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import TabbedContent, TabPane, Tabs

HELP_TEXT = Path(__file__).resolve().parent.parent / "help.md"


def concepts_markdown() -> str:
    """The lecture's concepts and where to try them (help.md)."""
    try:
        return HELP_TEXT.read_text(encoding="utf-8")
    except OSError as exc:
        return f"(the help text {HELP_TEXT} cannot be read: {exc.strerror or exc})"


def _key_list(rows: list[tuple[str, str]]) -> str:
    """Markdown bullets "`key` what it does"."""
    return "\n".join(f"- `{keys}` {description}" for keys, description in rows)


class HelpPane(Container):
    """Scrollable help: keys per tab, then the concepts (arrows / page keys scroll it)."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded = False
        """The document is built the first time the tab shows (it is ~250 widgets: app start stays quick)."""

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="help-scroll")

    def _key_rows(self, bindings: list[BindingType]) -> list[tuple[str, str]]:
        """(keys, what it does) per action, keys joined with "/" (e.g. "e/enter")."""
        grouped: dict[str, tuple[list[str], str]] = {}
        for binding in Binding.make_bindings(bindings):
            if not binding.description:
                continue
            display = self.app.get_key_display(binding)
            keys, _ = grouped.setdefault(binding.action, ([], binding.tooltip or binding.description))
            if display not in keys:
                keys.append(display)
        return [("/".join(keys), what) for keys, what in grouped.values()]

    def _global_keys(self) -> str:
        rows = self._key_rows(list(type(self.app).BINDINGS))
        rows += [
            ("tab/shift+tab", "Move the focus to the next / previous control (it is marked in the accent colour)"),
            ("space/enter", "In a form: toggle a switch, open a choice list (typing edits a field at once)"),
            ("enter", "In the layer form: apply it, from any field (space toggles a switch there)"),
            ("esc", "Close the layer form without a change (enter or ctrl+s applies it)"),
            ("ctrl+p", "Command palette: every action by name, themes"),
        ]
        return (
            "# Keys\n\nEverywhere (except while typing in a field):\n\n"
            + _key_list(rows)
            + "\n\nTyping that runs past a text field does nothing: after tab or shift+tab out of a field, letters "
            "and digits typed on the tab bar, a table, a switch or a button are swallowed (a note says so) until "
            "esc, an arrow key, enter or a click. So a path typed one tab too far never starts, pauses or stops "
            "a run. On the Model tab every change of the layers can be undone (`u`, `ctrl+z`) and redone "
            "(`ctrl+y`, `U`), a reset (`r`) too."
        )

    def _tab_keys(self) -> str:
        sections = []
        try:
            tabs = self.app.query_one(TabbedContent)
        except NoMatches:  # the help still shows without the tab list
            return ""
        for pane in tabs.query(TabPane):
            if not pane.children or pane.children[0] is self:
                continue
            # The pane's keys and those of this app's own widgets in it (not Textual's built-ins).
            widgets = [pane.children[0], *pane.children[0].query("*")]
            types = {type(w): None for w in widgets if type(w).__module__.startswith("tui_trainer")}
            bindings = [
                b
                for t in types
                for b in Binding.make_bindings(t.__dict__.get("BINDINGS", []))
                if not b.action.startswith("app.focus")
            ]
            rows = self._key_rows(bindings)
            if not rows:
                continue
            label = tabs.get_tab(pane.id or "").label.plain if pane.id else pane.id
            sections.append(f"**{label}**\n\n{_key_list(rows)}")
        return "\n\n".join(sections)

    def document(self) -> str:
        """The whole help text: keys (global, then per tab), then the concepts."""
        tab_keys = self._tab_keys()
        text = self._global_keys()
        if tab_keys:
            text += "\n\nOn each tab:\n\n" + tab_keys
        return text + "\n\n" + concepts_markdown()

    async def on_show(self) -> None:
        """Build the text once, and focus it so the arrow and page keys scroll it."""
        if not self.loaded:
            self.loaded = True
            from textual.widgets import Markdown  # imported when first shown: markdown-it delays the first frame

            await self.query_one("#help-scroll").mount(Markdown(self.document(), id="help-text"))
        focused = self.screen.focused
        if not isinstance(focused, Tabs) and (focused is None or self not in focused.ancestors):
            self.query_one("#help-scroll").focus()
