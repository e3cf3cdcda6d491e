"""Fixtures for the callback tests: a fake model, a fake clock, a forced display mode."""

from __future__ import annotations

import pytest
from fake_training_loop import FakeClock, FakeModel

from numeras.utils import progbar as progbar_module
from numeras.utils.progbar import set_interactive_display


@pytest.fixture
def model():
    return FakeModel()


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, "_clock", fake)
    return fake


@pytest.fixture
def non_interactive():
    set_interactive_display(False)
    yield
    set_interactive_display(None)


@pytest.fixture
def interactive():
    set_interactive_display(True)
    yield
    set_interactive_display(None)
