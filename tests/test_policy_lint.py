"""Linting apart from loading: the semantic checks run on a built PolicySet, with the
positions of its files, and `load` returns the loader's problems and lint's together."""

from __future__ import annotations

import tomllib
from pathlib import Path

from boundaries.core.diagnostics import NotAllowed, choose
from boundaries.policy.lint import lint
from boundaries.policy.load import load
from boundaries.policy.tomlpos import Locator

TIER = """\
[hours]
mon-fri = "09:00-17:00"

[[rules]]
decide = "later"

[[rules]]
when = { urgency = "urgent" }
decide = "answer"
reply = "sorry"
"""


def _where(root: Path, *rels: str) -> dict[str, Locator]:
    out = {}
    for rel in rels:
        text = (root / rel).read_text(encoding="utf-8")
        out[rel] = Locator(text, tomllib.loads(text))
    return out


def test_lint_runs_on_the_built_model(write_set):
    root = write_set({"tiers/standard.toml": TIER})
    result = load(root)
    found = lint(result.policies, _where(root, "me.toml", "tiers/standard.toml"), {"standard"})
    assert sorted((d.line, d.message.split(":")[0]) for d in found) == [
        (7, "rule 2 can never apply"), (10, "no replies file has a template `sorry`"),
        (10, "rule 2 answers, and an answer carries no reply")]
    assert all(d.severity == "warning" for d in found)
    assert set(found) <= set(result.diagnostics)  # load = build + lint


def test_lint_without_positions_finds_nothing_to_place(write_set):
    root = write_set({"tiers/standard.toml": TIER})
    assert lint(load(root).policies, {}, {"standard"}) == []


def test_an_unknown_tier_is_judged_by_the_tier_files_not_the_built_tiers(write_set):
    """A tier file that could not be read still exists: no `unknown_tier` warning."""
    me = 'name = "M"\ntimezone = "Europe/Vienna"\nunknown_tier = "broken"\n'
    root = write_set({"tiers/broken.toml": "[hours\n"}, me=me)
    ps = load(root).policies
    where = _where(root, "me.toml")
    assert lint(ps, where, {"broken"}) == []
    [warning] = lint(ps, where, set())
    assert warning.message.startswith("there is no tiers/broken.toml")


def test_choose_is_the_one_allowed_list_check():
    assert choose(" Call ", ("call", "sms"), fold=True) == "call"
    try:
        choose("smss", ("call", "sms"))
    except NotAllowed as exc:
        assert (exc.allowed, exc.hint) == ("`call` or `sms`", "did you mean `sms`?")
    else:
        raise AssertionError("not refused")
