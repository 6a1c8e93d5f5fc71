"""number_text: a number in a message exactly as the user could type it back (never `2.14748e+09`)."""

from __future__ import annotations


def number_text(value: float | int) -> str:
    """An int as all its digits; a float as the shortest text that reads back to it (0.001, 1e-05, 0.5);
    a float that is a whole number below 1e16 as digits (2147483647.0 -> 2147483647)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)
