"""The discreet screen hides names, numbers and mail addresses, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from boundaries.policy.load import load
from boundaries.tui.masking import HIDDEN, Masker

DATA = Path(__file__).parent / "data" / "tui"


@pytest.fixture(scope="module")
def mask():
    return Masker(load(DATA).policies)


@pytest.mark.parametrize("text", [
    "+43 732 123456", "0664 1234567", "+436641234567", "(0732) 123456", "0043 732 123456",
    "office@acme.example", "ACME Abrechnung GmbH", "Martin Huber", "Praxis Dr. Berger",
])
def test_hides_what_identifies_someone(mask, text):
    assert mask(f"from {text}, please") == f"from {HIDDEN}, please"


@pytest.mark.parametrize("text", [
    "Mon 23.11. 10:15", "2026-01-09", "08:00–12:00, 13:00–17:00", "Fri 09.01. 08:00–12:00",
    "tiers/maintenance.toml:58", "budget used: 3 of 3 in January", "2026-01-08T18:20",
])
def test_keeps_dates_times_and_sources(mask, text):
    assert mask(text) == text
