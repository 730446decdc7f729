"""Loader diagnostics: one small bad policy set per error kind (tests/data/bad/<case>/).

Every case folder is a complete policy folder with one problem (me.toml, tiers/standard.toml
and clients.toml are copies of one small good set, except where the case changes them).
The expectations below are written by hand from the files: PATH:LINE:COL is 1-based, COL
is the key's column, or the value's column where the value is at fault (for an entry of
an array, the entry's column; for a placeholder in a reply, the column of its `{`).
Nothing here is computed from the loader.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from boundaries.cli.main import main
from boundaries.policy.load import load

from .conftest import ME

BAD = Path(__file__).resolve().parent / "data" / "bad"


class Want(NamedTuple):
    """One expected diagnostic: exact place and severity, message and hint substrings.

    hint=None means the diagnostic carries no hint; "" means some hint, of any wording.
    """

    path: str
    line: int
    col: int
    severity: str
    message: str
    hint: str | None


def err(path: str, line: int, col: int, message: str, hint: str | None) -> Want:
    return Want(path, line, col, "error", message, hint)


def warn(path: str, line: int, col: int, message: str, hint: str | None) -> Want:
    return Want(path, line, col, "warning", message, hint)


T = "tiers/standard.toml"
C = "clients.toml"
R = "replies/de.toml"

# case folder -> every diagnostic the case must produce, in reported order (path, line)
EXPECTED: dict[str, tuple[Want, ...]] = {
    # -- whole files -----------------------------------------------------------------------------
    # line 2 `on_holidays = yes`; the syntax error stops only tiers/basic.toml: the unknown
    # key on line 2 of tiers/standard.toml (read after it) is still reported
    "toml-syntax-error": (
        err("tiers/basic.toml", 2, 15, "TOML syntax: invalid value", "strings need quotes"),
        err(T, 2, 1, "unknown key `chanels` in tier file tiers/standard.toml",
            "did you mean `channels`?"),
    ),
    # line 2 `description = "Wartung f\xfcr Kunden"` (Latin-1 ü at column 25)
    "not-utf8": (
        err("tiers/basic.toml", 2, 25, "file is not UTF-8 text", "save it as UTF-8"),
    ),
    # a syntax error in a file that others depend on must not make up errors elsewhere:
    # tiers/standard.toml exists (line 8 `allowed = no`), so clients.toml must not claim
    # "there is no tiers/standard.toml"
    "toml-syntax-error-in-used-tier": (
        err(T, 8, 11, "TOML syntax: invalid value", "strings need quotes"),
    ),
    # me.toml line 5 `callback_landlines = nein`; clients.toml has the national number
    # "0732 123456", which is only unreadable because me.toml (holidays AT-4) was not read
    "toml-syntax-error-in-me": (
        err("me.toml", 5, 22, "TOML syntax: invalid value", "booleans are `true`/`false`"),
    ),
    # -- me.toml ---------------------------------------------------------------------------------
    "me-missing": (
        err("me.toml", 1, 1, "me.toml is missing", "`boundaries init DIR` writes a starter"),
    ),
    "me-missing-timezone": (
        err("me.toml", 1, 1, "me.toml is missing the required key `timezone`",
            "add `timezone = …`"),
    ),
    # line 4 `holiday = "AT-4"`
    "me-unknown-key": (
        err("me.toml", 4, 1, "unknown key `holiday` in me.toml", "did you mean `holidays`?"),
    ),
    # line 2 `timezone = "Europe/Viena"`
    "unknown-timezone": (
        err("me.toml", 2, 12, "unknown timezone `Europe/Viena`",
            "did you mean `Europe/Vienna`?"),
    ),
    # line 4 `holidays = "AT-10"` (Austria has subdivisions 1 to 9)
    "unknown-holiday-subdivision": (
        err("me.toml", 4, 12, "unknown subdivision `10` of AT", "did you mean `AT-1`?"),
    ),
    # the same typo, and clients.toml writes "0732 123456" without +43: the phone country is
    # still AT (the country of `holidays`), so the number is fine and only me.toml is wrong
    "unknown-holiday-subdivision-national-phone": (
        err("me.toml", 4, 12, "unknown subdivision `10` of AT", "did you mean `AT-1`?"),
    ),
    # line 4 `holidays = "XX"`: no country code is close, so no suggestion
    "unknown-holiday-country": (
        err("me.toml", 4, 12, "unknown holiday country `XX`", None),
    ),
    # line 8 `from = 2026-08-14`, line 9 `to = 2026-08-03`
    "away-to-before-from": (
        err("me.toml", 9, 6, "`to` is before `from`", "swap them"),
    ),
    # -- tiers -----------------------------------------------------------------------------------
    # line 2 `chanels = [...]`
    "tier-unknown-key": (
        err(T, 2, 1, "unknown key `chanels` in tier file tiers/standard.toml",
            "did you mean `channels`?"),
    ),
    # line 9 `per_mont = 3` under [extra_effort]
    "extra-effort-unknown-key": (
        err(T, 9, 1, "unknown key `per_mont` in [extra_effort]", "did you mean `per_month`?"),
    ),
    # line 8 `allowed = "yes"`: the message names `true`/`false`; no closer hint exists
    "wrong-type-bool-yes": (
        err(T, 8, 11, "`allowed` must be a boolean (`true` or `false`), not a string", None),
    ),
    # line 8 `allowed = "true"`
    "wrong-type-bool-quoted": (
        err(T, 8, 11, "`allowed` must be a boolean (`true` or `false`), not a string",
            "write `true` without quotes"),
    ),
    # line 9 `per_month = "3"`
    "wrong-type-int-quoted": (
        err(T, 9, 13, "`per_month` must be an integer, not a string",
            "write `3` without quotes"),
    ),
    # line 3 `callback = "on_request"`
    "bad-enum-callback": (
        err(T, 3, 12, "`on_request` is not allowed as `callback`; it must be `always`, "
            "`on-request` or `never`", "did you mean `on-request`?"),
    ),
    # line 2 `channels = ["call", "emial"]`: the second entry starts at column 21
    "bad-channel": (
        err(T, 2, 21, "`emial` is not allowed as an entry of `channels`",
            "did you mean `email`?"),
    ),
    # line 5 `mon-fir = [...]`
    "unknown-day-key": (
        err(T, 5, 1, "unknown day key `mon-fir`", "did you mean `mon-fri`?"),
    ),
    # line 5 `mon-fri = "25:00-26:00"`
    "window-out-of-range": (
        err(T, 5, 11, "`25:00-26:00`: a window cannot start at 25:00",
            "hours run from 00:00 to 23:59"),
    ),
    # line 5 `mon-fri = "8-12"`
    "window-loose": (
        err(T, 5, 11, "`8-12` is not a window of the form `HH:MM-HH:MM`",
            "did you mean `08:00-12:00`?"),
    ),
    # line 5 `mon-fri = ["08:00-12:00", "13-17"]`: second entry at column 27
    "window-loose-in-list": (
        err(T, 5, 27, "`13-17` is not a window of the form `HH:MM-HH:MM`",
            "did you mean `13:00-17:00`?"),
    ),
    # line 5 `mon-fri = ...`, line 6 `wed-thu = ...`: the second key is at fault
    "overlapping-day-keys": (
        err(T, 6, 1, "day key `wed-thu` covers the same day as `mon-fri`",
            "two keys of the same kind must not overlap"),
    ),
    # line 5 `mon-fri = ["08:00-12:00", "off"]`: second entry at column 27
    "off-in-list": (
        err(T, 5, 27, "`off` cannot stand in a list of windows",
            'write `mon-fri = "off"` or `mon-fri = []`'),
    ),
    # -- rules ([[rules]] on line 10, `when` on line 11) -----------------------------------------
    # line 11 `when = { hour = "out", channel = "sms" }`
    "rule-unknown-condition": (
        err(T, 11, 10, "unknown key `hour` in rule 1's `when`", "did you mean `hours`?"),
    ),
    # line 11 `when = { urgency = ["urgnt"] }`: the entry at column 21
    "rule-unknown-value": (
        err(T, 11, 21, "`urgnt` is not allowed as an entry of `urgency`",
            "did you mean `urgent`?"),
    ),
    # line 12 `decide = "answr"`
    "rule-bad-decide": (
        err(T, 12, 10, "`answr` is not allowed as `decide`", "did you mean `answer`?"),
    ),
    # no `decide` at all: about the whole rule, so at its [[rules]] line
    "rule-missing-decide": (
        err(T, 10, 1, "rule 1 is missing the required key `decide`", "add `decide = …`"),
    ),
    # line 11 `when = { client_time = "9-17" }`: the value at column 24
    "rule-client-time": (
        err(T, 11, 24, "`9-17` is not a window of the form `HH:MM-HH:MM`",
            "did you mean `09:00-17:00`?"),
    ),
    # -- clients ---------------------------------------------------------------------------------
    # line 3 `tier = "standrad"`
    "client-unknown-tier": (
        err(C, 3, 8, "client `acme` names tier `standrad`, but there is no "
            "tiers/standrad.toml", "did you mean `standard`?"),
    ),
    # no tiers/ folder at all: the hint must still say something (not an empty list)
    "client-tier-without-tiers-folder": (
        err(C, 3, 8, "client `acme` names tier `standard`, but there is no "
            "tiers/standard.toml", ""),
    ),
    # line 6 `timezone = "Europe/Viena"`
    "client-unknown-timezone": (
        err(C, 6, 12, "unknown timezone `Europe/Viena`", "did you mean `Europe/Vienna`?"),
    ),
    # acme line 4 "+43 732 123456"; beta line 10 `phones = ["0664 1234567", "0732 123456"]`:
    # the same number (me.toml holidays AT-4, so region AT); the second occurrence, column 27
    "duplicate-phone": (
        err(C, 10, 27, "phone number `0732 123456` (+43732123456) is also client `acme`'s",
            "a number may belong to one client"),
    ),
    # acme line 5 "office@acme.example"; beta line 10 `emails = ["Office@ACME.Example"]`
    "duplicate-mail": (
        err(C, 10, 11, "mail address `Office@ACME.Example` is also client `acme`'s",
            "an address may belong to one client"),
    ),
    # line 4 `phones = ["+43 732 123456", "12"]`: second entry at column 29
    "bad-phone": (
        err(C, 4, 29, "`12` is not a phone number", "write it with +country code"),
    ),
    # line 6 `trust = "revokd"`
    "bad-trust": (
        err(C, 6, 9, "`revokd` is not allowed as `trust`", "did you mean `revoked`?"),
    ),
    # -- replies (line 7 `urgent-ok = "…"`: the text starts at column 14) ------------------------
    # "Hallo {client.name}, …": the `{` at column 20
    "template-attribute": (
        err(R, 7, 20, "reply `urgent-ok`: placeholder `{client.name}` uses attribute access "
            "or indexing", "templates take plain names only, e.g. `{client_name}`"),
    ),
    # "Ab {x[0]} erreichbar."
    "template-index": (
        err(R, 7, 17, "reply `urgent-ok`: placeholder `{x[0]}` uses attribute access "
            "or indexing", "templates take plain names only"),
    ),
    # "Ab {next:>10} erreichbar."
    "template-format-spec": (
        err(R, 7, 17, "reply `urgent-ok`: placeholder `{next}` has a format spec",
            "write just `{next}`"),
    ),
    # "Ab {next}, also {next:>10}.": the plain {next} at 17 is fine; the faulty one is at 30
    "template-format-spec-after-plain": (
        err(R, 7, 30, "reply `urgent-ok`: placeholder `{next}` has a format spec",
            "write just `{next}`"),
    ),
    # "Ab {nxt} erreichbar."
    "template-unknown-placeholder": (
        err(R, 7, 17, "reply `urgent-ok`: unknown placeholder `{nxt}`",
            "did you mean `next`?"),
    ),
    # a """multi-line""" text; line 9 `ich melde mich {nxt}.`
    "template-unknown-placeholder-multiline": (
        err(R, 9, 16, "reply `urgent-ok`: unknown placeholder `{nxt}`",
            "did you mean `next`?"),
    ),
    # "Ab {next erreichbar.": the `{` that is never closed, column 17
    "template-unmatched-open-brace": (
        err(R, 7, 17, "reply `urgent-ok`: `{` is never closed",
            "write `{{` for a literal brace"),
    ),
    # "Ab next} erreichbar.": the lone `}` at column 21
    "template-unmatched-close-brace": (
        err(R, 7, 21, "reply `urgent-ok`: `}` has no opening `{`",
            "write `}}` for a literal brace"),
    ),
    # -- checks.toml -----------------------------------------------------------------------------
    # line 5 `urgncy = "urgent"`
    "check-unknown-key": (
        err("checks.toml", 5, 1, "unknown key `urgncy` in check 1", "did you mean `urgency`?"),
    ),
    # line 4 `at = "morgen 18:20"`
    "check-bad-at": (
        err("checks.toml", 4, 6, "`morgen 18:20` is not an ISO 8601 date and time",
            "write e.g. `2026-01-08T18:20`"),
    ),
    # no `at`: about the whole check, so at its [[check]] line
    "check-missing-at": (
        err("checks.toml", 1, 1, "check 1 is missing the required key `at`", "add `at = …`"),
    ),
    # -- warnings --------------------------------------------------------------------------------
    # [[rules]] line 10: decide = "answer" when hours = "out", but [extra_effort] allowed = false
    "warn-rule-never-applies": (
        warn(T, 10, 1, "rule 1 can never answer: extra effort is not allowed for this tier",
             "set `[extra_effort] allowed = true`"),
    ),
    "warn-tier-without-hours": (
        warn(T, 1, 1, "tier `standard` has no [hours]: it is never reachable",
             "add e.g. `[hours]`"),
    ),
    # line 13 `reply = "urgent-okay"`; replies/de.toml has `urgent-ok`
    "warn-rule-reply-unknown": (
        warn(T, 13, 9, "no replies file has a template `urgent-okay`",
             "did you mean `urgent-ok`?"),
    ),
    # rule 1 ([[rules]] line 10) has no `when`; rule 2's [[rules]] is on line 14
    "warn-rule-after-catch-all": (
        warn(T, 14, 1, "rule 2 can never apply: rule 1 above has no `when` and matches every "
             "request", "move it above, or add conditions to the earlier rule"),
    ),
    # -- many errors in five files, all in one run, sorted by path then line ---------------------
    "many-errors": (
        err("checks.toml", 5, 10, "`latr` is not allowed as `expect`", "did you mean `later`?"),
        err("checks.toml", 11, 1, "unknown key `urgncy` in check 2", "did you mean `urgency`?"),
        err(C, 3, 8, "client `acme` names tier `standrad`", "did you mean `standard`?"),
        err(C, 6, 9, "`revokd` is not allowed as `trust`", "did you mean `revoked`?"),
        err("me.toml", 3, 10, "`deutsch` is not a locale code", "e.g. `de` or `en`"),
        err(R, 7, 17, "reply `urgent-ok`: unknown placeholder `{nxt}`", "did you mean `next`?"),
        err(T, 2, 1, "unknown key `chanels` in tier file tiers/standard.toml",
            "did you mean `channels`?"),
        err(T, 6, 1, "unknown day key `sat-son`", "did you mean `sat-sun`?"),
    ),
}

CASES = sorted(EXPECTED)


def _check(got, want: Want) -> None:
    first, *rest = got.format().split("\n")
    assert first.startswith(f"{want.path}:{want.line}:{want.col}: {want.severity}: "), first
    assert want.message in first, first
    if want.hint is None:
        assert got.hint is None and rest == [], got.format()
    else:
        assert got.hint is not None and want.hint in got.hint, got.format()
        assert not got.hint.rstrip().endswith(":"), f"dangling hint: {got.format()}"
        assert rest == [f"    hint: {got.hint}"]


def test_every_case_folder_has_expectations() -> None:
    folders = sorted(p.name for p in BAD.iterdir() if p.is_dir())
    assert folders == CASES


@pytest.mark.parametrize("case", CASES)
def test_bad_policy_set_reports_exact_place_and_hint(case: str) -> None:
    diags = load(BAD / case).diagnostics
    shown = "\n".join(d.format() for d in diags)
    assert len(diags) == len(EXPECTED[case]), shown
    for got, want in zip(diags, EXPECTED[case], strict=True):
        _check(got, want)


def test_syntax_error_stops_only_its_own_file() -> None:
    result = load(BAD / "toml-syntax-error")
    assert result.policies is not None
    assert "basic" not in result.policies.tiers      # tiers/basic.toml: syntax error on line 2
    assert "standard" in result.policies.tiers       # tiers/standard.toml: read and checked
    assert {d.path for d in result.errors} == {"tiers/basic.toml", "tiers/standard.toml"}


def test_many_errors_in_several_files_reported_in_one_run_sorted() -> None:
    diags = load(BAD / "many-errors").diagnostics
    assert {d.path for d in diags} == {
        "checks.toml", "clients.toml", "me.toml", "replies/de.toml", "tiers/standard.toml"}
    assert all(d.severity == "error" for d in diags)
    assert [(d.path, d.line) for d in diags] == sorted((d.path, d.line) for d in diags)
    assert [(d.path, d.line, d.col) for d in diags] == [
        ("checks.toml", 5, 10), ("checks.toml", 11, 1),
        ("clients.toml", 3, 8), ("clients.toml", 6, 9),
        ("me.toml", 3, 10),
        ("replies/de.toml", 7, 17),
        ("tiers/standard.toml", 2, 1), ("tiers/standard.toml", 6, 1),
    ]


# Python's words; "list" and "table" are fine English in a TOML message, `str` and `dict` not.
# "format string" is str.format's own wording, i.e. a Python exception passed through.
_PYTHON = re.compile(r"\b(dict|str|int|tuple|NoneType|None|self|\w+Error|Traceback|"
                     r"Exception)\b|<class |__\w+__|format string")


@pytest.mark.parametrize("case", CASES)
def test_lint_output_speaks_toml_never_python(case: str, capsys: pytest.CaptureFixture) -> None:
    try:
        code = main(["lint", "--policies", str(BAD / case)])
    except SystemExit as exc:
        code = exc.code
    out, err_ = capsys.readouterr()
    text = out + err_
    assert _PYTHON.search(text) is None, text
    has_error = any(w.severity == "error" for w in EXPECTED[case])
    assert code == (1 if has_error else 0), text


TIER = """\
description = "Standard"
channels = ["call", "sms", "email"]

[hours]
mon-fri = ["08:00-12:00", "13:00-17:00"]

[extra_effort]
allowed = false
"""

SPARE = """\
description = "nobody is on this tier yet"

[hours]
sat = "10:00-12:00"
"""

CLIENTS = """\
[clients.acme]
name = "ACME GmbH"
tier = "standard"
phones = ["+43 732 123456"]
emails = ["office@acme.example"]
"""


def test_good_set_has_no_diagnostics(load_set) -> None:
    result = load_set({"tiers/standard.toml": TIER, "clients.toml": CLIENTS}, me=ME)
    assert result.diagnostics == ()


def test_tier_unused_by_any_client_yields_no_diagnostic(load_set) -> None:
    result = load_set({"tiers/standard.toml": TIER, "tiers/spare.toml": SPARE,
                       "clients.toml": CLIENTS}, me=ME)
    assert result.diagnostics == ()
    assert result.policies is not None and "spare" in result.policies.tiers


def test_day_keys_are_lower_case(load_set):
    result = load_set({"tiers/t.toml": '[hours]\nMon = "09:00-16:00"\n'})
    d = result.errors[0]
    assert (d.path, d.line, d.col) == ("tiers/t.toml", 2, 1)
    assert d.message == "unknown day key `Mon`" and d.hint == "did you mean `mon`?"
