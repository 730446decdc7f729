"""init, schema, client add, where: the first ten minutes of a new user."""

from __future__ import annotations

import json
import os
import tomllib
from datetime import date, datetime, time
from pathlib import Path

import jsonschema
import pytest

from boundaries.policy.checks import run_checks
from boundaries.policy.json_schema import KINDS, schema_for
from boundaries.policy.load import load
from boundaries.policy.starter import schema_files

from .cli_helpers import run

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "policies"
BAD = Path(__file__).parent / "data" / "bad"


def kind_of(rel: str) -> str | None:
    if rel.startswith("tiers/"):
        return "tier"
    if rel.startswith("replies/"):
        return "replies"
    return {"me.toml": "me", "clients.toml": "clients", "checks.toml": "checks"}.get(rel)


def as_json(value):
    """TOML values as JSON Schema sees them in editors: dates and times become strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def validate_folder(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.toml")):
        rel = path.relative_to(root).as_posix()
        kind = kind_of(rel)
        if kind is None:
            continue
        data = as_json(tomllib.loads(path.read_text("utf-8")))
        validator = jsonschema.Draft202012Validator(schema_for(kind),
                                                    format_checker=jsonschema.FormatChecker())
        problems += [f"{rel}: {e.message}" for e in validator.iter_errors(data)]
    return problems


@pytest.fixture
def starter(tmp_path, capsys) -> Path:
    root = tmp_path / "mine"
    code, out, _ = run(capsys, "init", str(root), "--timezone", "Europe/Vienna", "--locale",
                       "de", "--holidays", "AT-4", "--name", "Martin Huber", "--yes")
    assert code == 0 and "boundaries lint --policies" in out
    return root


# -- init ------------------------------------------------------------------------------------
def test_init_into_empty_folder_lints_clean_and_its_checks_pass(starter, capsys):
    result = load(starter)
    assert result.diagnostics == ()
    results = run_checks(result.policies)
    assert len(results) >= 3 and all(r.passed for r in results), [r.problems for r in results]
    code, out, _ = run(capsys, "lint", "--policies", str(starter))
    assert code == 0 and out.startswith("ok: ") and out.count("\n") == 1  # one success line


@pytest.mark.parametrize(("tz", "locale", "region"), [
    ("America/New_York", "en", "US-NY"), ("Europe/Berlin", "de", "DE-BY"),
    ("Australia/Lord_Howe", "en", None),
])
def test_init_works_for_other_places(tmp_path, capsys, tz, locale, region):
    args = ["init", str(tmp_path / "s"), "--timezone", tz, "--locale", locale, "--yes"]
    if region:
        args += ["--holidays", region]
    assert run(capsys, *args)[0] == 0
    result = load(tmp_path / "s")
    assert not result.errors and all(r.passed for r in run_checks(result.policies))


def test_init_refuses_an_existing_set_and_changes_nothing(starter, capsys):
    before = {p: p.read_bytes() for p in starter.rglob("*") if p.is_file()}
    code, out, err = run(capsys, "init", str(starter), "--yes")
    assert code == 2 and out == "" and "nothing was written" in err
    assert {p: p.read_bytes() for p in starter.rglob("*") if p.is_file()} == before


def test_init_rejects_bad_settings(tmp_path, capsys):
    code, _, err = run(capsys, "init", str(tmp_path / "x"), "--timezone", "Europe/Viena",
                       "--yes")
    assert code == 2 and "unknown timezone" in err and not (tmp_path / "x").exists()
    code, _, err = run(capsys, "init", str(tmp_path / "x"), "--holidays", "XX-9", "--yes")
    assert code == 2 and "unknown holiday country" in err


def test_personal_files_are_private(starter):
    assert (starter / "clients.toml").stat().st_mode & 0o777 == 0o600
    assert (starter / "me.toml").stat().st_mode & 0o777 == 0o600


# -- schema ----------------------------------------------------------------------------------
def test_every_shipped_and_starter_file_validates(starter):
    assert validate_folder(EXAMPLE) == []
    assert validate_folder(starter) == []


def test_shipped_and_starter_files_carry_the_schema_directive(starter):
    for root in (EXAMPLE, starter):
        for path in root.rglob("*.toml"):
            rel = path.relative_to(root).as_posix()
            first = path.read_text("utf-8").splitlines()[0]
            assert first.startswith("#:schema "), rel
            target = (path.parent / first.split(" ", 1)[1]).resolve()
            assert target.is_file(), f"{rel} points at a missing {target}"
            assert target.name == f"{kind_of(rel)}.schema.json"


def test_shipped_schema_files_are_generated_not_hand_kept():
    for rel, text in schema_files().items():
        assert (EXAMPLE / rel).read_text("utf-8") == text, f"regenerate: boundaries schema " \
            f"--write policies ({rel})"


@pytest.mark.parametrize("case", [
    "tier-unknown-key", "extra-effort-unknown-key", "wrong-type-bool-yes",
    "wrong-type-int-quoted", "bad-enum-callback", "bad-channel", "bad-trust",
    "rule-bad-decide", "rule-unknown-condition", "rule-unknown-value", "check-unknown-key",
    "me-unknown-key", "me-missing-timezone", "rule-missing-decide",
])
def test_schema_rejects_what_the_loader_rejects(case):
    assert (BAD / case).is_dir(), case
    assert validate_folder(BAD / case), f"the schema accepts {case}"


def test_schema_command(capsys, tmp_path):
    code, out, _ = run(capsys, "schema")
    doc = json.loads(out)
    assert code == 0 and set(doc["$defs"]) == set(KINDS)
    jsonschema.Draft202012Validator.check_schema(doc)
    code, out, _ = run(capsys, "schema", "--kind", "tier")
    assert json.loads(out)["properties"]["callback"]["enum"] == ["always", "on-request", "never"]
    assert run(capsys, "schema", "--write", str(tmp_path))[0] == 0
    assert (tmp_path / ".schema" / "me.schema.json").is_file()


# -- client add ------------------------------------------------------------------------------
HAND_WRITTEN = """\
#:schema ./.schema/clients.schema.json
# My clients — written by hand, with comments and odd spacing.

[clients.example]    # the first one
name   = "Example Ltd"
tier = "standard"
phones = [ "+43 660 0000001" ]  # mobile
emails = ["office@example.com"]

# a note at the end, no newline after it"""


def test_client_add_appends_and_keeps_every_byte(starter, capsys):
    clients = starter / "clients.toml"
    clients.write_text(HAND_WRITTEN, encoding="utf-8")
    code, out, err = run(capsys, "client", "add", "kunde-x", "--policies", str(starter),
                         "--tier", "priority", "--phone", "0664 1112223", "--mail",
                         "a@b.example", "--name", "Kunde X")
    assert code == 0 and "added client `kunde-x`" in out, err
    text = clients.read_text("utf-8")
    assert text.startswith(HAND_WRITTEN)
    assert tomllib.loads(text)["clients"]["kunde-x"] == {
        "name": "Kunde X", "tier": "priority", "phones": ["0664 1112223"],
        "emails": ["a@b.example"]}
    result = load(starter)
    assert not result.errors and "kunde-x" in result.policies.clients


@pytest.mark.parametrize(("args", "message"), [
    (["example", "--tier", "standard"], "exists already"),
    (["new", "--tier", "standrd"], "no tier `standrd`"),
    (["new", "--tier", "standard", "--phone", "0660 0000001"], "already client `example`"),
    (["new", "--tier", "standard", "--mail", "OFFICE@example.com"], "already client `example`"),
    (["new", "--tier", "standard", "--phone", "12"], "is not a phone number"),
    (["new", "--tier", "standard", "--timezone", "Mars/Olympus"], "not added"),
    (["bad id!", "--tier", "standard"], "cannot be a client id"),
])
def test_client_add_refusals_leave_the_file_alone(starter, capsys, args, message):
    before = (starter / "clients.toml").read_bytes()
    code, _, err = run(capsys, "client", "add", *args, "--policies", str(starter))
    assert code == 2 and message in err
    assert (starter / "clients.toml").read_bytes() == before


def test_client_add_interrupted_write_leaves_old_file(starter, capsys, monkeypatch):
    before = (starter / "clients.toml").read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    code, _, err = run(capsys, "client", "add", "kunde-x", "--policies", str(starter),
                       "--tier", "standard")
    assert code == 2 and "disk full; it is unchanged" in err and "Traceback" not in err
    assert (starter / "clients.toml").read_bytes() == before
    assert [p.name for p in starter.iterdir() if p.name.endswith(".tmp")] == []


def test_client_add_refuses_the_example_set(capsys):
    code, _, err = run(capsys, "client", "add", "x", "--policies", str(EXAMPLE), "--tier",
                       "premium")
    assert code == 2 and "example set" in err


# -- where and help ----------------------------------------------------------------------------
def test_where_says_which_set_and_why(starter, capsys, monkeypatch):
    monkeypatch.setenv("BOUNDARIES_POLICIES", str(starter))
    monkeypatch.setenv("BOUNDARIES_JOURNAL", str(starter / "journal"))
    code, out, _ = run(capsys, "where")
    assert code == 0
    assert f"policy set: {starter}" in out and "$BOUNDARIES_POLICIES" in out
    assert f"journal:    {starter / 'journal'}" in out


@pytest.mark.parametrize("command", [["init"], ["schema"], ["client", "add"], ["where"]])
def test_help_has_an_example(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and "example" in out


def test_init_escapes_what_the_user_types(tmp_path, capsys):
    name = 'Quote " \\ Test — Jörg'
    assert run(capsys, "init", str(tmp_path / "q"), "--name", name, "--timezone", "UTC",
               "--yes")[0] == 0
    result = load(tmp_path / "q")
    assert not result.errors and result.policies.me.name == name


def test_init_onto_a_file_is_refused_plainly(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    code, _, err = run(capsys, "init", str(f), "--yes")
    assert code == 2 and "is a file" in err and "internal error" not in err
