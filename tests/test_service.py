"""The service layer (issue #13): the use cases every front end shares — open a set, build a
request, decide it with the journal's facts, record it — as values and `BoundariesError`s,
never a print or an exit. And the example set is announced only when it was fallen back on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from boundaries import service
from boundaries.cli.main import main
from boundaries.core.errors import BoundariesError, RequestError
from boundaries.core.request import NO_FACTS
from boundaries.policy.discovery import example_dir

NOTE = "using the example policy set"
AT = "2026-01-08T18:20"
NOW = datetime(2026, 1, 8, 9, 0, tzinfo=UTC)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no ./policies (and, by conftest, no user config set)."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    return here


@pytest.fixture
def example():
    """The shipped example set, opened by naming it."""
    opened = service.open_set(example_dir())
    return service.good_policies(opened.result)


# -- the example set is announced only when fallen back on ------------------------------------
def test_naming_the_example_folder_with_policies_does_not_say_example(capsys, empty_cwd):
    code, out, err = cli(capsys, "check", "--policies", str(example_dir()), "--from", "acme",
                         "--at", AT, "--json")
    assert code == 0 and json.loads(out)["client"] == "acme"
    assert NOTE not in err


def test_naming_it_in_the_environment_does_not_say_example(capsys, empty_cwd, monkeypatch):
    monkeypatch.setenv("BOUNDARIES_POLICIES", str(example_dir()))
    code, _, err = cli(capsys, "lint")
    assert code in (0, 1) and NOTE not in err


def test_a_local_policies_folder_that_is_the_example_does_not_say_example(capsys, empty_cwd):
    (empty_cwd / "policies").symlink_to(example_dir(), target_is_directory=True)
    code, _, err = cli(capsys, "check", "--from", "acme", "--at", AT)
    assert code == 0 and NOTE not in err
    found = service.find_set()
    assert found.is_example and not found.fell_back  # still the shipped folder: not editable


def test_falling_back_on_the_example_still_says_so(capsys, empty_cwd):
    code, _, err = cli(capsys, "check", "--from", "acme", "--at", AT, "--json")
    assert code == 0 and NOTE in err
    opened = service.open_set()
    assert opened.fell_back and opened.found.is_example


def test_where_names_the_shipped_set_when_it_was_named(capsys, empty_cwd):
    _, out, _ = cli(capsys, "where", "--policies", str(example_dir()))
    assert "chosen by: --policies  — the shipped example set" in out
    _, out, _ = cli(capsys, "where")
    assert "chosen by: the example set shipped with boundaries\n" in out


# -- opening ----------------------------------------------------------------------------------
def test_open_set_returns_the_found_folder_and_its_result(empty_cwd):
    opened = service.open_set(example_dir())
    assert opened.found.path == example_dir() and opened.found.origin == "--policies"
    assert opened.result.ok and not opened.fell_back
    assert service.good_policies(opened.result) is opened.result.policies


def test_a_missing_folder_is_an_error_with_a_hint(tmp_path):
    with pytest.raises(service.PolicyFolderMissing) as info:
        service.open_set(tmp_path / "nowhere")
    assert isinstance(info.value, BoundariesError)
    assert "does not exist" in str(info.value) and "boundaries init" in info.value.hint


def test_an_empty_policies_argument_is_a_request_error():
    with pytest.raises(RequestError):
        service.open_set("")


def test_a_set_with_errors_is_bad_policy_set_with_every_diagnostic(write_set):
    root = write_set({"tiers/x.toml": "this is = = not toml\n"})
    result = service.load_set(root)
    with pytest.raises(service.BadPolicySet) as info:
        service.good_policies(result)
    assert info.value.diagnostics == result.diagnostics
    assert str(info.value).endswith("; nothing decided")


def test_the_cli_tells_a_bad_set_lint_style_and_exits_2(capsys, write_set):
    root = write_set({"tiers/x.toml": "this is = = not toml\n"})
    code, out, err = cli(capsys, "check", "--policies", str(root), "--from", "a")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert "tiers/x.toml:1:" in lines[0]
    assert lines[-1].startswith("boundaries: the policy set has ") and "nothing decided" in err
    assert "Traceback" not in err


# -- a request --------------------------------------------------------------------------------
def test_choice_normalises_and_suggests():
    assert service.choice(" SMS ", "channel", ("call", "sms")) == "sms"
    with pytest.raises(RequestError) as info:
        service.choice("cal", "channel", ("call", "sms"))
    assert "`call`" in str(info.value) and info.value.hint == "did you mean `call`?"


def test_build_request_resolves_the_sender_and_reads_the_time(example):
    req = service.build_request(example, {"from": "acme", "at": AT, "channel": "sms"}, NOW)
    assert req.sender.client_id == "acme" and req.channel == "sms"
    assert req.at.strftime("%Y-%m-%dT%H:%M") == AT


@pytest.mark.parametrize("fields", [{"from": ""}, {"from": "acme", "at": "tomorrowish"}])
def test_a_request_that_cannot_be_read_is_a_request_error_with_a_hint(example, fields):
    with pytest.raises(RequestError) as info:
        service.build_request(example, fields, NOW)
    assert str(info.value)


# -- deciding with the journal, and recording -------------------------------------------------
def _decided(ps, at: str, folder: Path | None):
    req = service.build_request(ps, {"from": "acme", "at": at}, NOW)
    return req, service.decide_with_journal(ps, req, folder)


def test_no_journal_means_no_facts(example, tmp_path):
    for folder in (None, tmp_path / "missing"):
        _, decided = _decided(example, AT, folder)
        assert decided.facts == NO_FACTS and decided.warnings == []


def test_a_recorded_request_is_a_fact_for_the_next(example, tmp_path):
    journal = tmp_path / "journal"
    req, first = _decided(example, AT, journal)
    path = service.record(example, req, first.decision, "missed", 0, "", journal, NOW)
    assert path.parent == journal and path.is_file()
    entry = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["client"] == "acme" and entry["outcome"] == "missed"
    later = (datetime.fromisoformat(AT) + timedelta(minutes=5)).isoformat()
    _, second = _decided(example, later, journal)
    assert second.facts.recent_requests == first.facts.recent_requests + 1


def test_the_journal_cache_reads_once_until_cleared(example, tmp_path):
    journal = tmp_path / "journal"
    journal.mkdir()
    cache = service.JournalCache(journal)
    req, decided = _decided(example, AT, journal)
    assert cache.facts(example, req) == service.journal_facts(example, req, journal)[0]
    service.record(example, req, decided.decision, "answered", 5, "ok", journal, NOW)
    assert cache.facts(example, req).recent_requests == 1  # kept: not read again
    cache.clear()
    assert cache.facts(example, req) == service.journal_facts(example, req, journal)[0]
    assert cache.facts(example, req).recent_requests == 2


def test_a_journal_that_cannot_be_written_is_journal_write_error(example, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    req, decided = _decided(example, AT, None)
    with pytest.raises(service.JournalWriteError) as info:
        service.record(example, req, decided.decision, "missed", 0, "", blocked, NOW)
    assert isinstance(info.value, BoundariesError) and isinstance(info.value.reason, OSError)
    assert str(info.value).startswith("could not write the journal")


def test_the_service_prints_nothing(capsys, example, tmp_path, empty_cwd):
    opened = service.open_set()
    req, decided = _decided(example, AT, tmp_path / "journal")
    service.record(example, req, decided.decision, "missed", 0, "", tmp_path / "journal", NOW)
    assert opened.fell_back
    assert capsys.readouterr() == ("", "")
