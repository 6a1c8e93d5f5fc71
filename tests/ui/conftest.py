"""Fixtures for the UI tests: colour on, and a fresh fake engine."""

from __future__ import annotations

import pytest
from fakes import FakeEngine


@pytest.fixture(autouse=True)
def _colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR changes rendering: the UI tests always render in colour."""
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def fake_engine() -> FakeEngine:
    """A fresh scripted engine."""
    return FakeEngine()
