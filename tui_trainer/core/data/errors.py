"""DatasetError: the one exception dataset code raises for problems a user can fix."""

from __future__ import annotations


class DatasetError(Exception):
    """A dataset that cannot be loaded; the message is shown to users as-is.

    It says what is wrong and what to do about it (which file, row, column or option).
    """
