"""Fixtures for the end-to-end tests: colour on for app rendering."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR changes rendering: unset it."""
    monkeypatch.delenv("NO_COLOR", raising=False)
