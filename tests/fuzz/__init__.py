"""Seeded, schema-aware fuzzing of whole policy sets and journals (tests/test_fuzz.py, run.py)."""
