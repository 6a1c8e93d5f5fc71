"""The footer: Textual's, minus the key widgets each of its recomposes used to leave alive (textual#6666)."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widgets import Footer as TextualFooter


def forget_closed_watchers(node: DOMNode) -> int:
    """Drop the watchers that closed widgets left on node's reactives; returns how many were dropped.

    `child.data_bind(x=Parent.x)` and `child.watch(parent, "x", ...)` store (child, callback) on the
    parent, and Textual prunes closed children from that list only when parent.x changes. The Footer's
    `compact` never changes, and the Footer recomposes (new FooterKeys, each bound to `compact`) on
    every focus or binding change, so every FooterKey it ever made stayed reachable (textual 8.2.8,
    https://github.com/Textualize/textual/issues/6666). This is the pruning Textual would do.
    """
    watchers = getattr(node, "__watchers", None)  # Textual's own attribute (set with setattr, not mangled)
    if not isinstance(watchers, dict):
        return 0
    dropped = 0
    for entries in watchers.values():
        kept = [(owner, callback) for owner, callback in entries if not getattr(owner, "_closing", False)]
        dropped += len(entries) - len(kept)
        entries[:] = kept
    return dropped


class Footer(TextualFooter):
    """Textual's Footer whose recomposes let the replaced key widgets go (see forget_closed_watchers)."""

    async def recompose(self) -> None:
        """Recompose as Textual does, then forget the watchers of the keys it removed."""
        await super().recompose()
        forget_closed_watchers(self)
