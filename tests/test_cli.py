"""The CLI contract of §5: outputs, exit codes, streams, and no traceback for any input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .cli_helpers import run
from .test_engine import CLIENTS, DE, DISCREET, EN, MAINT, ME_AWAY, NIGHT, PREMIUM, UNKNOWN

CHECKS = """\
[[check]]
name = "Abteilungsleiterin ruft nach Feierabend an"
from = "acme"
channel = "call"
at = "2026-01-08T18:20"
expect = "later"
next = "2026-01-09T08:00"
callback = "on-request"
in_writing = true
reply_key = "after-hours"

[[check]]
name = "wrong on purpose"
from = "acme"
at = "2026-01-08T10:00"
expect = "decline"
"""


@pytest.fixture
def pset(write_set) -> Path:
    return write_set({
        "tiers/maint.toml": MAINT, "tiers/premium.toml": PREMIUM,
        "tiers/unknown.toml": UNKNOWN, "tiers/discreet.toml": DISCREET,
        "tiers/night.toml": NIGHT, "clients.toml": CLIENTS,
        "replies/de.toml": DE, "replies/en.toml": EN, "checks.toml": CHECKS,
    }, me=ME_AWAY)


# -- check ------------------------------------------------------------------------------------
def test_check_text(capsys, pset):
    code, out, err = run(capsys, "check", "--policies", str(pset), "--from", "+43 732 123456",
                         "--at", "2026-01-08T18:20")
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("LATER  acme (ACME Abrechnung GmbH) · tier maint")
    assert "tiers/maint.toml:6" in out
    assert "next window: Fri 2026-01-09 08:00–12:00" in out
    assert "callback: never  (landline)" in out
    assert "in writing: yes" in out
    assert "morgen ab 08:00 Uhr" in out
    assert "example policy set" not in err


def test_check_json_shape(capsys, pset):
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--from", "acme",
                       "--at", "2026-01-08T18:20", "--json")
    assert code == 0
    obj = json.loads(out)
    assert obj["decision"] == "later" and obj["client"] == "acme" and obj["tier"] == "maint"
    assert obj["next_window"] == {"start": "2026-01-09T08:00:00+01:00",
                                  "end": "2026-01-09T12:00:00+01:00"}
    assert obj["reasons"][0]["source"] == "tiers/maint.toml:6"
    assert obj["reply"]["key"] == "after-hours" and obj["confirm"]["key"] == "confirm"
    assert obj["callback"] == "on-request" and obj["in_writing"] is True


def test_check_json_unknown_sender_client_null(capsys, pset):
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--from", "x@y.example",
                       "--channel", "email", "--at", "2026-01-08T10:00+01:00", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["client"] is None and obj["decision"] == "answer"


def test_check_at_accepts_clock_time_today(capsys, pset, monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.setattr("boundaries.cli.main._now", lambda: datetime(2026, 1, 8, 9, 0, tzinfo=UTC))
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--from", "acme",
                       "--at", "18:20", "--json")
    assert code == 0 and json.loads(out)["at"] == "2026-01-08T18:20:00+01:00"


def test_check_decision_exit_code_is_zero_for_decline(capsys, pset):
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--from", "+43 699 1112223",
                       "--at", "2026-01-08T10:00")
    assert code == 0 and out.startswith("DECLINE")


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "acme", "--at", "2026-02-30T10:00"], "not an ISO 8601"),
    (["--from", "acme", "--at", "yesterday"], "not an ISO 8601"),
    (["--from", "acme", "--at", "25:00"], "not a time of day"),
    (["--from", "acme", "--at", "2026-01-08"], "without a time of day"),
    (["--from", "acme", "--at", "99999-01-01T10:00"], "not an ISO 8601"),
    (["--from", "acme", "--channel", "fax"], "unknown channel `fax`"),
    (["--from", "acme", "--kind", "rant"], "unknown kind"),
    (["--from", "acme", "--urgency", "asap"], "unknown urgency"),
    (["--from", "nobody"], "no client id, phone number or mail address"),
    (["--from", "   "], "empty sender"),
    (["--from", "+43 1"], "not a phone number"),
])
def test_bad_request_exits_2_with_message(capsys, pset, args, message):
    code, out, err = run(capsys, "check", "--policies", str(pset), *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_typo_in_channel_gets_hint(capsys, pset):
    _, _, err = run(capsys, "check", "--policies", str(pset), "--from", "acme", "--channel", "smss")
    assert "did you mean `sms`?" in err


def test_bad_policy_set_exits_2_with_lint_messages(capsys, write_set):
    root = write_set({"tiers/t.toml": 'chanels = ["call"]\n'})
    code, out, err = run(capsys, "check", "--policies", str(root), "--from", "a@b.example")
    assert code == 2 and out == ""
    assert "tiers/t.toml:1:1: error: unknown key `chanels`" in err
    assert "did you mean `channels`?" in err


def test_missing_policy_folder_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "check", "--policies", str(tmp_path / "nope"), "--from", "a")
    assert code == 2 and "does not exist" in err


# -- lint -------------------------------------------------------------------------------------
def test_lint_clean_set(capsys, pset):
    code, out, _ = run(capsys, "lint", "--policies", str(pset))
    assert code == 0
    assert out.startswith("ok: ") and "no problems (5 tiers)" in out


def test_lint_errors_exit_1_and_json(capsys, write_set):
    root = write_set({"tiers/t.toml": '[hours]\nmon-fir = "08:00-12:00"\n'})
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    assert code == 1
    assert "tiers/t.toml:2:1: error: unknown day key `mon-fir`" in out
    assert "hint: did you mean `mon-fri`?" in out
    code, out, _ = run(capsys, "lint", "--policies", str(root), "--json")
    items = json.loads(out)
    assert code == 1
    assert items[0] == {"path": "tiers/t.toml", "line": 2, "col": 1, "severity": "error",
                        "message": "unknown day key `mon-fir`",
                        "hint": "did you mean `mon-fri`?"}


def test_lint_warnings_do_not_change_exit_code(capsys, write_set):
    root = write_set({"tiers/t.toml": 'description = "no hours"\n'})
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    assert code == 0 and "warning: tier `t` has no [hours]" in out


# -- test -------------------------------------------------------------------------------------
def test_test_reports_failures_with_path_line_and_summary(capsys, pset):
    code, out, _ = run(capsys, "test", "--policies", str(pset))
    lines = out.strip().splitlines()
    assert code == 1
    assert lines[-1] == "1 passed, 1 failed"
    assert lines[0].startswith("checks.toml:12: FAIL wrong on purpose: expected decline, "
                               "got answer")


def test_test_zero_checks_is_reported(capsys, write_set):
    root = write_set({"tiers/t.toml": '[hours]\nmon = "08:00-12:00"\n'})
    code, out, err = run(capsys, "test", "--policies", str(root))
    assert code == 0 and out.strip() == "0 passed, 0 failed" and "no checks" in err


# -- week -------------------------------------------------------------------------------------
def test_week_grid(capsys, pset):
    code, out, _ = run(capsys, "week", "--policies", str(pset), "--tier", "maint",
                       "--at", "2026-01-05")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("tier maint — Europe/Vienna")
    mon = next(ln for ln in lines if "Mon 05.01" in ln)
    cells = mon[11:59]
    assert cells == "·" * 16 + "█" * 8 + "··" + "█" * 8 + "·" * 14
    assert "holiday: Heilige Drei Könige" in next(ln for ln in lines if "Tue 06.01" in ln)


def test_week_from_client_in_other_timezone_shows_both(capsys, pset):
    code, out, _ = run(capsys, "week", "--policies", str(pset), "--from", "tanaka",
                       "--at", "2026-01-05")
    assert code == 0 and "their time, Asia/Tokyo" in out


def test_week_unknown_tier(capsys, pset):
    code, _, err = run(capsys, "week", "--policies", str(pset), "--tier", "maintenance")
    assert code == 2 and "no tier `maintenance`" in err


# -- misc ------------------------------------------------------------------------------------
def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("boundaries 0.")


def test_every_subcommand_help_has_an_example(capsys):
    for cmd in ("check", "lint", "test", "week"):
        code, out, _ = run(capsys, cmd, "--help")
        assert code == 0 and "example" in out and "boundaries " + cmd in out


def test_unknown_subcommand_exits_2(capsys):
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err


# -- garbage policy files, whole process -----------------------------------------------------
def _cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    e = {**os.environ, "BOUNDARIES_CACHE": "off", **(env or {})}
    return subprocess.run([sys.executable, "-m", "boundaries", *args], capture_output=True,
                          text=True, cwd=cwd, env=e, timeout=60)


@pytest.mark.parametrize("content", [
    b"\x00\x01\x02\xff\xfe binary",
    b"",
    b"name = 'x'\ntimezone = 'Europe/Vienna'\n" + b"# padding\n" * 250_000,
    "name = 'Jörg'\n".encode("latin-1"),
    b"[[[[",
], ids=["binary", "empty", "huge", "latin-1", "syntax"])
def test_garbage_me_toml_never_tracebacks(tmp_path, content):
    (tmp_path / "me.toml").write_bytes(content)
    for args in (["lint"], ["check", "--from", "a@b.example"], ["test"], ["week", "--tier", "x"]):
        r = _cli(*args, "--policies", str(tmp_path))
        assert r.returncode in (1, 2), (args, r.stderr)
        assert "Traceback" not in r.stderr and "me.toml:" in (r.stdout + r.stderr)


def test_policies_path_is_a_file(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = _cli("check", "--policies", str(f), "--from", "a")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_example_set_used_from_empty_folder_says_so(tmp_path):
    r = _cli("check", "--from", "acme", "--at", "2026-01-08T18:20", "--json", cwd=tmp_path,
             env={"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "BOUNDARIES_POLICIES": ""})
    assert r.returncode == 0, r.stderr
    assert "using the example policy set" in r.stderr
    assert json.loads(r.stdout)["client"] == "acme"


def test_env_var_chooses_the_set(tmp_path, pset):
    r = _cli("check", "--from", "acme", "--at", "2026-01-08T18:20", "--json", cwd=tmp_path,
             env={"BOUNDARIES_POLICIES": str(pset)})
    assert r.returncode == 0 and "example" not in r.stderr
    assert json.loads(r.stdout)["tier"] == "maint"


@pytest.mark.parametrize("where", ["before", "after"])
def test_policies_option_before_or_after_the_subcommand(capsys, pset, where):
    args = ["check", "--from", "acme", "--at", "2026-01-08T18:20", "--json"]
    args = ["--policies", str(pset), *args] if where == "before" else [
        *args, "--policies", str(pset)]
    code, out, err = run(capsys, *args)
    assert code == 0 and json.loads(out)["tier"] == "maint" and "example" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "acme", "--at", ""], "empty time"),
    (["--from", "a@"], "is not a mail address"),
    (["--from", "@"], "is not a mail address"),
])
def test_more_bad_requests(capsys, pset, args, message):
    code, out, err = run(capsys, "check", "--policies", str(pset), *args)
    assert code == 2 and out == "" and message in err


def test_client_id_matches_case_insensitively(capsys, pset):
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--from", "ACME", "--json",
                       "--at", "2026-01-08T10:00")
    assert code == 0 and json.loads(out)["client"] == "acme"


def test_readme_seed_story_is_what_check_prints(capsys, monkeypatch, tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    block = readme.split('```console\n$ .venv/bin/boundaries check --from "+43 732 123456" '
                         '--at 2026-01-08T18:20\n')[1].split("```")[0]
    shown = [ln for ln in block.splitlines() if ln.strip() != "…"]
    monkeypatch.setenv("BOUNDARIES_JOURNAL", str(tmp_path / "empty"))
    example = Path(__file__).resolve().parent.parent / "policies"
    code, out, _ = run(capsys, "check", "--policies", str(example), "--from", "+43 732 123456",
                       "--at", "2026-01-08T18:20")
    assert code == 0 and out.splitlines()[: len(shown)] == shown
