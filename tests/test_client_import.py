"""Issue 17: `client import` turns vCard exports into clients — each producer's file, a vdir,
duplicates skipped and named, one atomic append that keeps every byte, a dry run, exit 2."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from boundaries.policy.load import load

from .cli_helpers import run

DATA = Path(__file__).resolve().parent / "data" / "contacts"
PRODUCERS = ["android-2.1.vcf", "iphone-3.0.vcf", "outlook-2.1.vcf", "google-3.0.vcf",
             "rfc6350-4.0.vcf", "problems.vcf", "vdir"]
TIER = '[hours]\nmon-fri = "08:00-17:00"\n'
# written by hand: a BOM-less file with a comment, odd spacing and no final newline
CLIENTS = ('# my clients\n[clients.acme]   # the first one\nname = "ACME"\n'
           'tier = "standard"\nphones = ["+43 2742 9005"]\nemails = ["Office@Acme.example"]')


@pytest.fixture
def pset(write_set) -> Path:
    return write_set({"tiers/standard.toml": TIER, "tiers/vip.toml": TIER,
                      "clients.toml": CLIENTS})


def import_(capsys, root: Path, source: Path | str, *more: str) -> tuple[int, str, str]:
    return run(capsys, "client", "import", str(source), "--tier", "standard", "--policies",
               str(root), *more)


def clients_of(root: Path) -> dict[str, dict]:
    return tomllib.loads((root / "clients.toml").read_text("utf-8"))["clients"]


def assert_lints_clean(root: Path) -> None:
    result = load(root)
    assert not result.errors, [d.format() for d in result.errors]


def who_is(capsys, root: Path, sender: str) -> str | None:
    code, out, err = run(capsys, "check", "--policies", str(root), "--from", sender, "--at",
                         "2026-01-08T10:00", "--json")
    assert code in (0, 1), err
    return json.loads(out)["client"]


@pytest.mark.parametrize("source", PRODUCERS)
def test_each_producers_export_imports_lint_clean_and_is_found(pset, capsys, source):
    before = (pset / "clients.toml").read_bytes()
    code, out, err = import_(capsys, pset, DATA / source)
    assert code == 0 and out == "", err
    assert "Traceback" not in err and "internal error" not in err
    assert (pset / "clients.toml").read_bytes().startswith(before)
    assert_lints_clean(pset)
    new = {cid: c for cid, c in clients_of(pset).items() if cid != "acme"}
    assert new, err
    summary = err.strip().splitlines()[-1]
    assert summary.startswith(f"{len(new)} imported, ") and " skipped: appended to " in summary
    for cid, client in new.items():
        assert client["tier"] == "standard" and "notes" not in client
        assert client.get("phones") or client.get("emails")
        for sender in [*client.get("phones", []), *client.get("emails", [])]:
            assert who_is(capsys, pset, sender) == cid, (sender, cid)


def test_the_tables_go_after_every_byte_in_one_write(pset, capsys, monkeypatch):
    import boundaries.fsutil as fsutil

    writes = []
    real = fsutil.atomic_write

    def counted(path, data, **kw):
        writes.append(path)
        return real(path, data, **kw)

    monkeypatch.setattr(fsutil, "atomic_write", counted)
    code, _, err = import_(capsys, pset, DATA / "google-3.0.vcf")
    assert code == 0, err
    assert writes == [pset / "clients.toml"]
    text = (pset / "clients.toml").read_text("utf-8")
    assert text.startswith(CLIENTS + "\n\n# imported from google-3.0.vcf on ")  # after a blank line


def test_a_card_without_any_name_is_named_by_its_mail(pset, capsys):
    code, _, err = import_(capsys, pset, DATA / "google-3.0.vcf")
    assert code == 0, err
    named = {c["name"]: cid for cid, c in clients_of(pset).items()}
    assert "info@nameless.example" in named
    cid = named["info@nameless.example"]
    assert cid.isascii() and cid == cid.lower() and "@" not in cid


def test_duplicates_within_a_file_are_skipped_at_their_line(pset, capsys):
    code, _, err = import_(capsys, pset, DATA / "problems.vcf")
    assert code == 0
    path = DATA / "problems.vcf"
    assert f"{path}:1: warning: `Nur Falsche Nummern`: no phone number or mail address left; " \
           "card skipped" in err
    # its number (0664 222 3334, read with me.region AT) is the card's at line 13 too
    assert f"{path}:19: warning: `Doppelt Zwei`: `+436642223334` is on an earlier card " \
           "too (problems.vcf:13, client `doppelt-eins`); card skipped" in err
    names = {c["name"] for c in clients_of(pset).values()}
    assert "Doppelt Eins" in names and "Doppelt Zwei" not in names
    assert err.strip().splitlines()[-1].startswith("2 imported, 2 skipped")


def test_cards_of_existing_clients_are_skipped_and_never_merged(pset, capsys):
    before = clients_of(pset)["acme"]
    code, _, err = import_(capsys, pset, DATA / "google-3.0.vcf")
    assert code == 0
    # Bernd Ober has +43 2742 9005, which is acme's number: skipped, at his BEGIN:VCARD
    assert f"{DATA / 'google-3.0.vcf'}:11: warning: `Bernd Ober`: `+4327429005` is already " \
           "client `acme`'s number; card skipped" in err
    assert clients_of(pset)["acme"] == before
    assert "Bernd Ober" not in {c["name"] for c in clients_of(pset).values()}
    # the same file again: every card is somebody's now, so nothing is written
    once = (pset / "clients.toml").read_bytes()
    code, _, err = import_(capsys, pset, DATA / "google-3.0.vcf")
    assert code == 0 and "0 imported, 3 skipped" in err and "unchanged" in err
    assert (pset / "clients.toml").read_bytes() == once


def test_ids_are_unique_against_clients_toml(write_set, capsys):
    root = write_set({"tiers/standard.toml": TIER,
                      "clients.toml": '[clients.anna-schmid]\nname = "A"\ntier = "standard"\n'})
    code, _, err = import_(capsys, root, DATA / "google-3.0.vcf")
    assert code == 0, err
    assert clients_of(root)["anna-schmid-2"]["name"] == "Anna Schmid"
    assert_lints_clean(root)


def test_names_with_quotes_and_accents_round_trip(pset, capsys, tmp_path):
    vcf = tmp_path / "odd.vcf"
    vcf.write_bytes('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jörg "Jö" Müller\\, Ñandú\r\n'
                    'TEL:+43 664 5550001\r\nEND:VCARD\r\n'.encode())
    code, _, err = import_(capsys, pset, vcf)
    assert code == 0, err
    (cid, client), = ((k, v) for k, v in clients_of(pset).items() if k != "acme")
    assert client["name"] == 'Jörg "Jö" Müller, Ñandú'
    assert cid.isascii() and who_is(capsys, pset, "+43 664 5550001") == cid
    assert_lints_clean(pset)


def test_dry_run_prints_the_toml_and_writes_nothing(pset, capsys):
    listing = sorted(p.name for p in pset.iterdir())
    before = (pset / "clients.toml").read_bytes()
    code, out, err = import_(capsys, pset, DATA / "google-3.0.vcf", "--dry-run")
    assert code == 0, err
    assert (pset / "clients.toml").read_bytes() == before
    assert sorted(p.name for p in pset.iterdir()) == listing  # not even a lock file
    shown = tomllib.loads(out)["clients"]
    assert {c["name"] for c in shown.values()} == {"Anna Schmid", "info@nameless.example"}
    assert "2 imported, 1 skipped (dry run:" in err
    code, _, err = import_(capsys, pset, DATA / "google-3.0.vcf")
    assert code == 0 and clients_of(pset).keys() - {"acme"} == shown.keys()


def test_crlf_and_a_byte_order_mark_are_kept(write_set, capsys):
    root = write_set({"tiers/standard.toml": TIER})
    old = b"\xef\xbb\xbf" + CLIENTS.replace("\n", "\r\n").encode() + b"\r\n"
    (root / "clients.toml").write_bytes(old)
    code, _, err = import_(capsys, root, DATA / "vdir")
    assert code == 0, err
    text = (root / "clients.toml").read_bytes()
    assert text.startswith(old) and b"\n" not in text.replace(b"\r\n", b"")
    assert_lints_clean(root)


def test_a_folder_reads_every_vcf_in_it(pset, capsys):
    code, _, err = import_(capsys, pset, DATA / "vdir")
    assert code == 0, err
    assert {"Clara Novak", "Ertl Bau KG"} <= {c["name"] for c in clients_of(pset).values()}
    assert "notes.txt" not in err


@pytest.mark.parametrize(("how", "message"), [
    ("tier", "no tier `nope`"),
    ("missing", "cannot read"),
    ("folder", "holds no .vcf file"),
    ("errors", "the policy set has 1 error; nothing imported"),
])
def test_bad_input_exits_2_and_writes_nothing(pset, capsys, tmp_path, how, message):
    source = DATA / "google-3.0.vcf"
    tier = "standard"
    if how == "tier":
        tier = "nope"
    elif how == "missing":
        source = tmp_path / "gone.vcf"
    elif how == "folder":
        source = tmp_path / "empty"
        source.mkdir()
    else:
        (pset / "tiers" / "vip.toml").write_text('[hours]\nmon-fri = "25:00-17:00"\n')
    listing = {p.name: p.read_bytes() for p in pset.iterdir() if p.is_file()}
    code, out, err = run(capsys, "client", "import", str(source), "--tier", tier,
                         "--policies", str(pset))
    assert code == 2 and out == "" and message in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert {p.name: p.read_bytes() for p in pset.iterdir() if p.is_file()} == listing


def test_the_example_set_is_never_changed(capsys):
    from .conftest import EXAMPLE

    before = (EXAMPLE / "clients.toml").read_bytes()
    code, _, err = run(capsys, "client", "import", str(DATA / "vdir"), "--tier", "standard",
                       "--policies", str(EXAMPLE))
    assert code == 2 and "example set" in err
    assert (EXAMPLE / "clients.toml").read_bytes() == before


def test_a_symlinked_clients_toml_stays_a_link(pset, capsys, tmp_path):
    elsewhere = tmp_path / "elsewhere.toml"
    shutil.move(pset / "clients.toml", elsewhere)
    (pset / "clients.toml").symlink_to(elsewhere)
    code, _, err = import_(capsys, pset, DATA / "vdir")
    assert code == 0 and "the file it links to" in err, err
    assert (pset / "clients.toml").is_symlink() and "Clara Novak" in elsewhere.read_text()


def test_mails_are_compared_case_insensitively(pset, capsys, tmp_path):
    vcf = tmp_path / "mails.vcf"
    vcf.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Neu\nEMAIL:neu@example.org\nEND:VCARD\n"
                   "BEGIN:VCARD\nVERSION:3.0\nFN:Auch Neu\nEMAIL:NEU@Example.org\nEND:VCARD\n"
                   "BEGIN:VCARD\nVERSION:3.0\nFN:Acme Office\nEMAIL:office@ACME.example\n"
                   "END:VCARD\n")
    code, _, err = import_(capsys, pset, vcf)
    assert code == 0, err
    assert f"{vcf}:6: warning: `Auch Neu`: `NEU@Example.org` is on an earlier card too " \
           "(mails.vcf:1, client `neu`); card skipped" in err
    assert f"{vcf}:11: warning: `Acme Office`: `office@ACME.example` is already client " \
           "`acme`'s address; card skipped" in err
    assert set(clients_of(pset)) == {"acme", "neu"}


def test_a_result_that_would_not_lint_clean_is_not_written(write_set, capsys):
    # 2,000,000 bytes is the most a policy file may have: these tables would go past it
    padded = CLIENTS + "\n# " + "x" * (2_000_000 - len(CLIENTS) - 200) + "\n"
    root = write_set({"tiers/standard.toml": TIER, "clients.toml": padded})
    assert_lints_clean(root)
    code, out, err = import_(capsys, root, DATA / "google-3.0.vcf")
    assert code == 2 and out == "" and "policy files are small" in err
    assert "not imported: the set would have these new errors; clients.toml is unchanged" in err
    assert (root / "clients.toml").read_text("utf-8") == padded
