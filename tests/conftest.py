"""Shared fixtures: fixed Bangkok times, a fresh register workbook, the CLI runner.

Kept small on purpose; a feature's own helpers live in its test file (or a fixture module
of its own), not here.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlflow import template
from xlflow.cli import main
from xlflow.worktime import BKK

#: The day every register of the tests is made for (a Wednesday, fiscal year 2570).
TODAY = date(2026, 11, 25)


@pytest.fixture
def bkk():
    """Make a fixed Bangkok time: ``bkk(2026, 11, 25, 9, 30)``."""
    return lambda *parts: datetime(*parts, tzinfo=BKK)


@pytest.fixture
def register_book(tmp_path) -> Path:
    """A new, empty register made by ``template.init`` for 2026-11-25, in ``tmp_path``."""
    return template.init(tmp_path / "Coordination_Register.xlsx", today=TODAY)


@pytest.fixture
def xlflow():
    """Run the command line in-process: ``xlflow("list", str(book), "--now", ...)``."""
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
