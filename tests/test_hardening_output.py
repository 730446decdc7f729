"""Issue #12, defect 2: no control character from a file or an argument reaches the terminal.

Every text output of the CLI passes one sink (`safe_text.VisibleStream`, installed by
`main`); JSON keeps its values exact. The walk below runs every text-printing command on a
set whose client name, tier description, notes, reply template, check name and an unknown
key hold escape sequences, with a journal and a CSV that hold them too.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundaries.cli.output import VisibleStream, raw_stream, visible_output
from boundaries.cli.progress import Progress
from boundaries.core.text import visible

from .cli_helpers import run
from .test_engine import DE, EN, MAINT, PREMIUM, UNKNOWN

EVIL = "E\u001b]0;PWNED\u0007\u001b]52;c;aGFja2Vk\u0007"   # retitle + write the clipboard
CLEAR = "\u001b[2J\u009b31m\u202e"                          # clear screen, C1 CSI, RTL override
# what a terminal may obey: C0 but newline and tab, DEL, C1
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def toml_str(text: str) -> str:
    """`text` as a TOML basic string (control characters as \\uXXXX, as a user could)."""
    return json.dumps(text)


CLIENTS = f"""\
[clients.acme]
name = {toml_str(EVIL)}
tier = "maint"
phones = ["+43 732 123456"]
in_writing = true
notes = {toml_str("notes " + CLEAR)}

[clients.stahl]
name = "Stahlwerk AG"
tier = "premium"
"""
EVIL_MAINT = MAINT.replace('"Wartungsvertrag"', toml_str("Wartung " + CLEAR))
EVIL_DE = DE.replace('"Guten Tag, ich', toml_str("Guten " + CLEAR)[:-1] + ' Tag, ich')
CHECKS = f"""\
[[check]]
name = {toml_str("fails " + EVIL)}
from = "acme"
at = "2026-01-08T18:20"
expect = "decline"
"""


@pytest.fixture
def evil_set(write_set):
    return write_set({"tiers/maint.toml": EVIL_MAINT, "tiers/premium.toml": PREMIUM,
                      "tiers/unknown.toml": UNKNOWN, "clients.toml": CLIENTS,
                      "replies/de.toml": EVIL_DE, "replies/en.toml": EN, "checks.toml": CHECKS})


@pytest.fixture
def broken_set(write_set):
    """A set with an unknown key whose name holds escapes: lint and every command quote it."""
    return write_set({"tiers/maint.toml": f'{toml_str("odd" + CLEAR)} = 1\n' + EVIL_MAINT,
                      "clients.toml": CLIENTS}, name="broken")


def write_evil_journal(folder: Path) -> Path:
    """A journal folder with one entry whose sender, client and note hold escapes."""
    folder.mkdir()
    entry = {"id": "01EVIL", "recorded_at": "2026-01-08T17:21:00+00:00",
             "at": "2026-01-08T18:20:00+01:00", "from": EVIL, "sender": "raw:" + EVIL,
             "client": "x" + EVIL, "channel": "call", "kind": "question", "urgency": "normal",
             "decision": "later", "tier": "maint", "within_hours": False,
             "reason": "tiers/maint.toml:6", "policy_hash": "h", "extra_effort": False,
             "reply_key": None, "outcome": "missed", "minutes": 5, "note": "note " + CLEAR}
    (folder / "2026-01.test.jsonl").write_text(json.dumps(entry) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def evil_journal(tmp_path: Path) -> Path:
    return write_evil_journal(tmp_path / "journal")


def assert_safe(out: str, err: str, what: object) -> None:
    for stream, text in (("stdout", out), ("stderr", err)):
        bad = RAW_CONTROL.search(text)
        assert bad is None, f"{what}: raw {bad.group()!r} on {stream}: {text!r}"


def test_every_text_output_shows_control_characters_visibly(capsys, evil_set, broken_set,
                                                            evil_journal, tmp_path):
    csv_file = tmp_path / "calls.csv"
    csv_file.write_text("from,at,note\n"
                        f"acme,2026-01-08T18:20,{EVIL}\n"
                        "\u001b]0;x\u0007,2026-01-08T18:20,x\n", encoding="utf-8")
    p, j = str(evil_set), str(evil_journal)
    at = ("--at", "2026-01-08T18:20")
    commands = [
        ("check", "--policies", p, "--from", "acme", *at),
        ("check", "--policies", p, "--from", EVIL, *at),              # by the evil name
        ("check", "--policies", p, "--from", "\u001b]0;x\u0007", *at),  # no such sender
        ("check", "--policies", p, "--from", "acme", "--channel", CLEAR),
        ("check", "--policies", p, "--from", "acme", "--at", CLEAR),
        ("lint", "--policies", p),
        ("lint", "--policies", str(broken_set)),
        ("check", "--policies", str(broken_set), "--from", "acme"),
        ("test", "--policies", p),
        ("week", "--policies", p, "--tier", "maint", "--at", "2026-01-12"),
        ("week", "--policies", p, "--tier", EVIL),
        ("week", "--policies", p, "--from", "acme", "--at", "2026-01-12"),
        ("week", "--policies", p, "--from", EVIL, "--at", "2026-01-12"),
        ("log", "--policies", p, "--from", "acme", *at, "--journal", j,
         "--outcome", "answered", "--note", EVIL),
        ("report", "--policies", p, "--journal", j, "--month", "2026-01"),
        ("report", "--policies", p, "--journal", j, "--month", "2026-01", "--format", "csv"),
        ("report", "--policies", p, "--journal", j, "--month", EVIL),
        ("report", "--policies", p, "--journal", j, "--client", EVIL, "--month", "2026-01"),
        ("replay", "--policies", p, str(csv_file)),
        ("replay", "--policies", p, str(csv_file), "--format", "csv"),
        ("replay", "--policies", p, str(csv_file), "--format", "json"),
        ("replay", "--policies", p, "--journal", "2026-01", "--journal-dir", j),
        ("replay", "--policies", p, str(csv_file), "--against", EVIL),
        ("where", "--policies", p),
        ("where", "--policies", str(tmp_path / EVIL)),
        ("client", "add", "x" + EVIL, "--tier", "maint", "--policies", p),
        ("client", "add", "newone", "--tier", EVIL, "--policies", p),
        ("client", "add", "newone", "--tier", "maint", "--phone", EVIL, "--policies", p),
        ("lint", "--policies", str(tmp_path / EVIL)),
        (EVIL,),                                      # argparse: invalid choice, quoted
        ("check", "--policies", p, "--from", "acme", "--urgency"),  # argparse: missing value
        ("report", "--format", EVIL),
    ]
    shown = ""
    for args in commands:
        code, out, err = run(capsys, *args)
        assert code in (0, 1, 2), args
        assert "internal error" not in err, (args, err)
        assert_safe(out, err, args)
        shown += out + err
    # shown, not dropped: the name, the notes' clear-screen, the journal's client, the CSV cell
    for seen in (EVIL, CLEAR, "x" + EVIL, "\u001b]0;x\u0007"):
        assert visible(seen) in shown


def test_the_check_text_shows_the_name_visibly(capsys, evil_set):
    _, out, _ = run(capsys, "check", "--policies", str(evil_set), "--from", "acme",
                    "--at", "2026-01-08T18:20")
    assert "acme (E\\u001b]0;PWNED\\u0007\\u001b]52;c;aGFja2Vk\\u0007)" in out
    assert "reply (de, after-hours):\n  Guten \\u001b[2J\\u009b31m\\u202e Tag" in out  # lines kept


def test_json_output_keeps_the_exact_values(capsys, evil_set, evil_journal):
    code, out, err = run(capsys, "check", "--policies", str(evil_set), "--from", "acme",
                         "--at", "2026-01-08T18:20", "--json")
    assert code == 0
    assert_safe(out, err, "check --json")
    obj = json.loads(out)
    assert f"Wie besprochen, {EVIL}:" in obj["confirm"]["text"]  # the name, exactly
    assert obj["reply"]["text"].startswith("Guten " + CLEAR + " Tag")  # C1 and bidi too

    _, out, err = run(capsys, "report", "--policies", str(evil_set), "--journal",
                      str(evil_journal), "--month", "2026-01", "--format", "json")
    assert_safe(out, err, "report --format json")
    assert "x" + EVIL in {row["client"] for row in json.loads(out)}


def test_replay_json_lines_keep_the_cells_exact(capsys, evil_set, tmp_path):
    csv_file = tmp_path / "calls.csv"
    csv_file.write_text(f"from,at,note\nacme,2026-01-08T18:20,{EVIL}{CLEAR}\n",
                        encoding="utf-8")
    _, out, err = run(capsys, "replay", "--policies", str(evil_set), str(csv_file),
                      "--format", "json")
    assert_safe(out, err, "replay --format json")
    assert json.loads(out.splitlines()[0])["note"] == EVIL + CLEAR


def test_a_bad_csv_row_is_reported_without_its_escapes(capsys, evil_set, tmp_path):
    csv_file = tmp_path / "calls.csv"
    csv_file.write_text("from,at\n\u001b]0;x\u0007,2026-01-08T18:20\n", encoding="utf-8")
    _, out, err = run(capsys, "replay", "--policies", str(evil_set), str(csv_file))
    assert_safe(out, err, "replay")
    assert "\\u001b]0;x\\u0007" in err


def test_the_progress_bar_still_draws_its_own_escapes():
    """Under the sink, Progress writes to the raw stream: `\\r` and `\\x1b[K` reach it."""
    tty = io.StringIO()
    tty.isatty = lambda: True  # type: ignore[method-assign]
    saved = sys.stderr
    sys.stderr = tty
    try:
        with visible_output():
            assert isinstance(sys.stderr, VisibleStream)
            bar = Progress(100, delay=0.0)
            bar.update(10, 50)
            bar.close()
            print("done \u001b[2J", file=sys.stderr)
    finally:
        sys.stderr = saved
    text = tty.getvalue()
    assert text.startswith("\r[") and "\x1b[K" in text and text.endswith("done \\u001b[2J\n")


def test_the_streams_are_restored_after_main(capsys, evil_set):
    before = sys.stdout, sys.stderr
    run(capsys, "lint", "--policies", str(evil_set))
    assert (sys.stdout, sys.stderr) == before
    assert raw_stream(sys.stdout) is sys.stdout


# -- visible(), the one function --------------------------------------------------------------
@given(st.text())
def test_visible_leaves_nothing_a_terminal_obeys(text):
    shown = visible(text)
    assert RAW_CONTROL.search(shown) is None
    assert shown.count("\n") == text.count("\n") and shown.count("\t") == text.count("\t")
    assert visible(shown) == shown  # once is enough: safe to apply at every layer
    one_line = visible(text, multiline=False)
    assert "\n" not in one_line and "\t" not in one_line
    if text.isprintable():
        assert shown == text


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(), inner, max_size=3), max_leaves=10))
def test_json_through_visible_is_the_same_json(obj):
    """What lets one sink guard stdout: JSON text through visible() parses to the same value."""
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    assert json.loads(visible(text)) == obj
    assert RAW_CONTROL.search(visible(text)) is None


def test_a_newline_from_a_file_cannot_forge_a_diagnostic(capsys, write_set):
    # a quoted key may hold a newline; its diagnostic must stay one line (plus its hint)
    forged = 'x\\nme.toml:1:1: error: forged'
    root = write_set({"tiers/maint.toml": MAINT + f'\n"{forged}" = 1\n'})
    code, out, err = run(capsys, "lint", "--policies", str(root))
    assert code == 1
    lines = (out + err).splitlines()
    assert not any(line.startswith("me.toml:1:1: error: forged") for line in lines)
    unknown = [line for line in lines if "forged" in line]
    assert len(unknown) == 1 and unknown[0].startswith("tiers/maint.toml:")
    assert "\\u000a" in unknown[0]
    code, out, _ = run(capsys, "lint", "--policies", str(root), "--json")
    assert any("\nme.toml:1:1" in d["message"] for d in json.loads(out))


@given(st.text(), st.booleans())
def test_the_fast_path_of_visible_escapes_exactly_what_the_pattern_finds(text, multiline):
    from boundaries.core.text import _escape, _find

    assert visible(text, multiline=multiline) == _find(multiline).sub(_escape, text)
