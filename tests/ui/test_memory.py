"""A long session keeps what it shows, not all it ever showed: replaced widgets go, plots stay bounded."""

from __future__ import annotations

import gc
import weakref

from fakes import make_app
from helpers import wait_until
from textual.app import App, ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer as TextualFooter
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from tui_trainer.ui.gc_tuning import GC_THRESHOLDS, MemorySettler
from tui_trainer.ui.widgets.footer import Footer, forget_closed_watchers


class Parent(Widget):
    """A long-lived widget with a reactive its children bind to (as the Footer's compact)."""

    compact = reactive(False)


async def test_forget_closed_watchers_drops_only_the_watchers_of_closed_widgets() -> None:
    """child.watch(parent, ...) (what data_bind does) stays on the parent after the child is removed
    until the parent's reactive changes (textual#6666); forget_closed_watchers drops it at once."""

    class Host(App):
        def compose(self) -> ComposeResult:
            yield Parent()

    def watchers() -> list:
        return [owner for owner, _callback in getattr(parent, "__watchers")["compact"]]

    app = Host()
    async with app.run_test():
        parent = app.query_one(Parent)
        staying, going = Static("staying"), Static("going")
        await parent.mount(staying, going)
        for child in (staying, going):
            child.watch(parent, "compact", lambda _compact: None, init=False)
        await going.remove()
        assert watchers() == [staying, going]
        assert forget_closed_watchers(parent) == 1
        assert watchers() == [staying]
        assert forget_closed_watchers(parent) == 0
        assert forget_closed_watchers(staying) == 0  # a widget nobody watches


async def test_the_footer_lets_the_keys_of_its_recomposes_go() -> None:
    """Every focus change recomposes the footer; the keys it replaced used to stay alive forever
    (textual's FooterKey bound to Footer.compact): 57 -> 103 MB in ten minutes of use."""
    app = make_app(runs_dir=None)
    async with app.run_test(size=(100, 30)) as pilot:
        footer = app.query_one(TextualFooter)
        assert isinstance(footer, Footer)
        await wait_until(pilot, lambda: len(footer.query(FooterKey)) > 0, what="the footer's keys")
        first = [weakref.ref(key) for key in footer.query(FooterKey)]
        for key in "2345":
            await pilot.press(key)  # each tab moves the focus: new bindings, a recompose
        await wait_until(
            pilot, lambda: all(k() is None or not k().is_attached for k in first), what="the footer recomposed"
        )
        await pilot.pause()
        gc.collect()
        assert [k for k in first if k() is not None] == []


class Cycle:
    """An object in a reference cycle with itself: only a collection frees it."""

    def __init__(self) -> None:
        self.me = self


def test_a_settle_frees_frozen_garbage_once_the_frozen_set_has_grown() -> None:
    """Frozen objects are never collected: freezing at every run start kept every widget replaced
    afterwards. A settle unfreezes first once the frozen set grew by `growth` since its last full one."""
    before = gc.get_threshold()
    settler = MemorySettler(growth=0.01)
    try:
        assert settler.settle()  # the first one is full
        assert not settler.settle()  # nothing new: cheap
        cycles = [Cycle() for _ in range(gc.get_freeze_count() // 50 + 100)]  # 2 % more than frozen
        probe = weakref.ref(cycles[0])
        assert settler.settle()  # frozen now, and 2 % more than after the last full one: full (they live)
        del cycles
        gc.collect()
        assert probe() is not None  # frozen garbage: no collection sees it
        more = [Cycle() for _ in range(gc.get_freeze_count() // 50 + 100)]
        assert settler.settle()  # grown again: unfreeze, collect (the dead cycles go), freeze
        assert probe() is None and more
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
