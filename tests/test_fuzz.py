"""Fuzz (issue #12): a few hundred seeded, schema-aware mutations of the example policy set
and of a journal, each run through lint, check, test, week, log and report in-process.

Every case must keep every promise of docs/reliability.md: no traceback or internal error,
exit codes 0/1/2 only, no control character from a file or an argument on the terminal,
"lint passed" means check, week, log and report work and test runs, no command changes a
policy file, and the journal only grows by appends. A failure names the seed, the case,
each mutation and the command; `python tests/fuzz/run.py --seed SEED --only N --keep`
writes that case again to look at. The bigger run (>= 2,000 sets) is tests/fuzz/run.py.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.fuzz.mutate import EXAMPLE, POLICY_TARGETS, TARGETS, build
from tests.fuzz.promises import Run, _problems, check_case, report
from tests.fuzz.tomlgen import dumps

SEED = "make-test"
CASES = 320  # every known key and journal field is the main target of 3 or more cases


@pytest.mark.parametrize("index", range(CASES))
def test_fuzzed_set_keeps_every_promise(tmp_path: Path, index: int) -> None:
    case = build(SEED, index, tmp_path)
    result = check_case(case, cache=index % 4 != 0)  # the cache on for three in four
    if result.failures:
        pytest.fail(report(result.failures), pytrace=False)


def test_every_known_key_is_a_target_within_the_cases() -> None:
    kinds = {kind for kind, _, _ in POLICY_TARGETS}
    assert kinds == {"me", "tier", "clients", "checks", "replies"}
    assert CASES >= 3 * TARGETS


def test_cases_are_deterministic(tmp_path: Path) -> None:
    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}

    for index in (0, 7, 64, 82):
        a, b = (build(SEED, index, tmp_path / f"{side}{index}") for side in "ab")
        assert a.mutations == b.mutations
        assert files(a.root.parent) == files(b.root.parent)


def test_toml_writer_round_trips_the_example_set() -> None:
    for p in EXAMPLE.rglob("*.toml"):
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
        assert tomllib.loads(dumps(doc)) == doc, p


@pytest.mark.parametrize(("run", "lint_clean", "problem"), [
    (Run("check", [], 2, "", "boundaries: internal error: TypeError: x\n"), False,
     "internal error"),
    (Run("check", [], 0, "Traceback (most recent call last):\n", ""), False, "internal error"),
    (Run("lint", [], 3, "", ""), False, "exit code 3"),
    (Run("check", [], 0, "ACME\x1b]0;PWNED\x07\n", ""), False, "control character '\\x1b'"),
    (Run("report", [], 0, "", "x:1: warning: \x9b31m\n"), False, "control character '\\x9b'"),
    (Run("week", [], 2, "", "error\n", promised=True), True, "lint passed, but week exited 2"),
    (Run("test", [], 2, "", "error\n", promised=True), True, "lint passed, but test exited 2"),
])
def test_the_oracle_sees_each_broken_promise(run: Run, lint_clean: bool, problem: str) -> None:
    assert any(problem in p for p in _problems(run, lint_clean))


def test_the_oracle_wants_json_valid_and_escaped_and_lets_test_fail() -> None:
    assert not list(_problems(Run("check", [], 0, '{"a": "\\u009b"}\n', "", is_json=True),
                              False))
    assert list(_problems(Run("check", [], 0, '{"a": "\x9b"}\n', "", is_json=True), False))
    assert list(_problems(Run("check", [], 0, '{"a": \n', "", is_json=True), False))
    assert not list(_problems(Run("test", [], 1, "1 failed\n", "", promised=True), True))
